"""The one-entry memo: the same argument object answers from memory, any other is computed."""

from advisor.memo import last_argument, last_arguments


def test_the_last_argument_is_remembered_by_identity_not_equality() -> None:
    calls: list[list[int]] = []

    @last_argument
    def total(values: list[int]) -> int:
        calls.append(values)
        return sum(values)

    first, equal = [1, 2], [1, 2]
    assert total(first) == total(first) == 3 and calls == [first]
    assert total(equal) == 3 and len(calls) == 2  # equal, not the same: computed again
    first.append(3)  # a list can change; a History cannot (frozen records of tuples)
    assert total(equal) == 3 and len(calls) == 2
    assert total(first) == 6 and len(calls) == 3


def test_the_last_arguments_are_remembered_only_when_each_is_the_same_object() -> None:
    calls: list[tuple[object, ...]] = []

    @last_arguments
    def joined(values: list[int], separator: str) -> str:
        calls.append((values, separator))
        return separator.join(map(str, values))

    values, other = [1, 2], [1, 2]
    assert joined(values, ",") == joined(values, ",") == "1,2" and len(calls) == 1
    assert joined(other, ",") == "1,2" and len(calls) == 2  # one argument equal, not the same: computed again
    assert joined(other, ";") == "1;2" and len(calls) == 3
    assert joined(other, ";") == "1;2" and len(calls) == 3
