"""The outputs: one module per format, each over the same records (Scan, Report, Plan).

- `terminal`: what the terminal shows (scan, plan, progress), untrusted text escaped (`term`);
- `jsonout`: the JSON documents, and the one JSON encoder the snapshot store uses too;
- `markdown`: the progress report as GitHub Markdown with Mermaid charts;
- `common`: what the terminal and Markdown progress reports share (dates, sections).

Pure: every function takes records and returns a string; `cli` prints, `store` writes.
"""
