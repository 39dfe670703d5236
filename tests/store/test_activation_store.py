"""The activation store's behaviour, run against every implementation (see conftest.store)."""

from __future__ import annotations

import dataclasses

from whisk.store.ports import ActivationQuery, ActivationRecord, Store

NS = "guest"


def record(
    n: int,
    *,
    name: str = "hello",
    package: str | None = None,
    namespace: str = NS,
    start: int | None = None,
    pending: bool = False,
) -> ActivationRecord:
    """Activation ``n`` starting at ``1000 * n`` (ids sort with n)."""
    begin = 1_000 * n if start is None else start
    return ActivationRecord(
        activation_id=f"{n:032x}",
        namespace=namespace,
        name=name,
        package=package,
        start=begin,
        end=0 if pending else begin + 5,
        status_code=None if pending else 0,
        doc={"activationId": f"{n:032x}", "response": {"result": {"n": n}}, "logs": []},
    )


def ids(records: list[ActivationRecord]) -> list[int]:
    return [int(r.activation_id, 16) for r in records]


async def test_activation_store_put_then_get_round_trips(store: Store) -> None:
    stored = record(1, package="pkg")
    await store.put_activation(stored)
    assert await store.get_activation(NS, stored.activation_id) == stored


async def test_activation_store_get_is_scoped_to_the_namespace(store: Store) -> None:
    await store.put_activation(record(1))
    assert await store.get_activation("someone-else", f"{1:032x}") is None
    assert await store.get_activation(NS, f"{2:032x}") is None


async def test_activation_store_pending_record_is_replaced_by_final(store: Store) -> None:
    pending = record(1, pending=True)
    await store.put_activation(pending)
    assert await store.get_activation(NS, pending.activation_id) == pending

    final = dataclasses.replace(
        record(1), status_code=2, doc={"response": {"status": "action developer error"}}
    )
    await store.put_activation(final)

    assert await store.get_activation(NS, final.activation_id) == final
    assert await store.count_activations(ActivationQuery(NS)) == 1


async def test_activation_store_lists_newest_start_first(store: Store) -> None:
    for n in [3, 1, 4, 2]:
        await store.put_activation(record(n))
    listed = await store.list_activations(ActivationQuery(NS))
    assert ids(listed) == [4, 3, 2, 1]
    assert await store.count_activations(ActivationQuery(NS)) == 4


async def test_activation_store_lists_per_namespace(store: Store) -> None:
    await store.put_activation(record(1))
    await store.put_activation(record(2, namespace="other"))
    assert ids(await store.list_activations(ActivationQuery(NS))) == [1]
    assert ids(await store.list_activations(ActivationQuery("other"))) == [2]
    assert await store.count_activations(ActivationQuery("nobody")) == 0


async def test_activation_store_filters_by_name_and_package(store: Store) -> None:
    await store.put_activation(record(1, name="a"))
    await store.put_activation(record(2, name="b"))
    await store.put_activation(record(3, name="a", package="p"))
    await store.put_activation(record(4, name="a"))
    await store.put_activation(record(5, name="a", package="q"))

    root_a = ActivationQuery(NS, name="a")
    p_a = ActivationQuery(NS, name="a", package="p")
    assert ids(await store.list_activations(root_a)) == [4, 1]
    assert ids(await store.list_activations(p_a)) == [3]
    assert ids(await store.list_activations(ActivationQuery(NS, name="b"))) == [2]
    assert await store.count_activations(root_a) == 2
    assert await store.count_activations(p_a) == 1
    assert await store.count_activations(ActivationQuery(NS, name="zzz")) == 0


async def test_activation_store_filters_by_inclusive_since_and_upto(store: Store) -> None:
    for n in range(1, 7):
        await store.put_activation(record(n))

    window = ActivationQuery(NS, since=2_000, upto=4_000)
    assert ids(await store.list_activations(window)) == [4, 3, 2]
    assert ids(await store.list_activations(ActivationQuery(NS, since=5_000))) == [6, 5]
    assert ids(await store.list_activations(ActivationQuery(NS, upto=1_999))) == [1]
    assert await store.count_activations(window) == 3


async def test_activation_store_skips_and_limits(store: Store) -> None:
    for n in range(1, 11):
        await store.put_activation(record(n))

    page = await store.list_activations(ActivationQuery(NS, skip=2, limit=3))
    assert ids(page) == [8, 7, 6]
    assert ids(await store.list_activations(ActivationQuery(NS, skip=8))) == [2, 1]
    assert await store.list_activations(ActivationQuery(NS, skip=10)) == []
    # count ignores skip and limit
    assert await store.count_activations(ActivationQuery(NS, skip=2, limit=3)) == 10


async def test_activation_store_orders_equal_starts_by_id(store: Store) -> None:
    for n in [2, 3, 1]:
        await store.put_activation(record(n, start=5_000))
    assert ids(await store.list_activations(ActivationQuery(NS))) == [3, 2, 1]


async def test_activation_store_combines_all_filters(store: Store) -> None:
    for n in range(1, 9):
        await store.put_activation(record(n, name="a" if n % 2 else "b"))
    query = ActivationQuery(NS, name="a", since=2_000, upto=7_000, skip=1, limit=2)
    assert ids(await store.list_activations(query)) == [5, 3]
    assert await store.count_activations(query) == 3


# -- pending records: conditional completion and the stale listing -----------------------------


def forced(n: int) -> ActivationRecord:
    """Activation ``n`` completed as a whisk internal error."""
    return dataclasses.replace(
        record(n), status_code=3, doc={"response": {"status": "whisk internal error"}}
    )


async def test_activation_store_complete_pending_writes_a_pending_record(store: Store) -> None:
    await store.put_activation(record(1, pending=True))

    assert await store.complete_pending_activation(forced(1)) is True

    assert await store.get_activation(NS, f"{1:032x}") == forced(1)
    assert await store.count_activations(ActivationQuery(NS)) == 1


async def test_activation_store_complete_pending_refuses_a_final_record(store: Store) -> None:
    final = record(1)
    await store.put_activation(final)

    assert await store.complete_pending_activation(forced(1)) is False

    assert await store.get_activation(NS, final.activation_id) == final


async def test_activation_store_complete_pending_writes_only_once(store: Store) -> None:
    await store.put_activation(record(1, pending=True))
    assert await store.complete_pending_activation(forced(1)) is True
    assert await store.complete_pending_activation(record(1)) is False
    assert await store.get_activation(NS, f"{1:032x}") == forced(1)


async def test_activation_store_complete_pending_refuses_a_missing_record(store: Store) -> None:
    assert await store.complete_pending_activation(forced(1)) is False

    assert await store.get_activation(NS, f"{1:032x}") is None
    assert await store.count_activations(ActivationQuery(NS)) == 0


async def test_activation_store_stale_pending_lists_only_older_pending_ones(
    store: Store,
) -> None:
    await store.put_activation(record(1))  # final and old
    await store.put_activation(record(2, pending=True))
    await store.put_activation(record(3, pending=True))  # starts exactly at the bound
    await store.put_activation(record(4, pending=True))  # recent

    stale = await store.list_stale_pending(3_000, 100)

    assert ids(stale) == [2]
    assert stale[0] == record(2, pending=True)


async def test_activation_store_stale_pending_spans_namespaces_oldest_first(
    store: Store,
) -> None:
    await store.put_activation(record(3, pending=True, namespace="a"))
    await store.put_activation(record(1, pending=True, namespace="b"))
    await store.put_activation(record(2, pending=True, namespace="c"))
    await store.put_activation(record(5, pending=True, namespace="a", start=1_000))

    stale = await store.list_stale_pending(10_000, 100)

    assert ids(stale) == [1, 5, 2, 3]  # equal starts by id
    assert [r.namespace for r in stale] == ["b", "a", "c", "a"]


async def test_activation_store_stale_pending_honours_the_limit(store: Store) -> None:
    for n in [4, 2, 5, 1, 3]:
        await store.put_activation(record(n, pending=True))

    assert ids(await store.list_stale_pending(10_000, 2)) == [1, 2]
    assert await store.list_stale_pending(10_000, 0) == []


async def test_activation_store_stale_pending_drops_completed_ones(store: Store) -> None:
    await store.put_activation(record(1, pending=True))
    await store.put_activation(record(2, pending=True))
    await store.complete_pending_activation(forced(1))

    assert ids(await store.list_stale_pending(10_000, 10)) == [2]


def trigger_record(n: int, logs: list[str]) -> ActivationRecord:
    """A trigger activation: final (success) with ``end == 0``, as OpenWhisk records them."""
    return dataclasses.replace(
        record(n), end=0, doc={"activationId": f"{n:032x}", "end": 0, "logs": logs}
    )


async def test_activation_store_trigger_records_with_no_end_are_final(store: Store) -> None:
    await store.put_activations([trigger_record(1, [])])
    await store.put_activations([trigger_record(1, ["rule line"])])  # the rules' lines
    stored = await store.get_activation(NS, f"{1:032x}")
    assert stored is not None and stored.doc["logs"] == ["rule line"]
    assert not await store.complete_pending_activation(forced(1))
    assert await store.list_stale_pending(10**12, 10) == []


async def test_activation_store_batch_never_puts_pending_over_final(store: Store) -> None:
    await store.put_activations([record(1), record(2, pending=True)])
    await store.put_activations([record(1, pending=True), record(2), record(3, pending=True)])
    one, two, three = [await store.get_activation(NS, f"{n:032x}") for n in (1, 2, 3)]
    assert one is not None and one.status_code == 0  # a late pending row did not replace it
    assert two is not None and two.status_code == 0
    assert three is not None and three.status_code is None


async def test_activation_store_lists_and_counts_pending_only_when_asked(store: Store) -> None:
    for n in (1, 3):
        await store.put_activation(record(n))
    await store.put_activation(record(2, pending=True))
    trigger = dataclasses.replace(record(4, name="t"), end=0)  # finished, with OpenWhisk's end 0
    await store.put_activation(trigger)

    finished = ActivationQuery(namespace=NS)
    assert ids(await store.list_activations(finished)) == [4, 3, 1]
    assert await store.count_activations(finished) == 3
    everything = ActivationQuery(namespace=NS, include_pending=True)
    assert ids(await store.list_activations(everything)) == [4, 3, 2, 1]
    assert await store.count_activations(everything) == 4
    named = ActivationQuery(namespace=NS, name="hello", skip=1)
    assert ids(await store.list_activations(named)) == [1]


async def test_activation_store_keeps_a_record_whose_result_and_logs_hold_a_nul(
    store: Store,
) -> None:
    """An action may return or log U+0000 (the API refuses it on input, an action's output is
    not checked): the record lands on every store, the NUL kept where the database can hold
    it and U+FFFD on PostgreSQL (JSONB cannot), and the records beside it land too."""
    hostile = dataclasses.replace(
        record(1),
        doc={
            "response": {"result": {"a\x00key": "nul\x00here", "escaped": "\\u0000 as text"}},
            "logs": ["line with \x00 in it"],
        },
    )
    await store.put_activations([hostile, record(2)])
    got = await store.get_activation(NS, hostile.activation_id)
    assert got is not None
    result = got.doc["response"]["result"]
    assert result["escaped"] == "\\u0000 as text"  # a backslash and "u0000" are text, kept
    assert set(result) in ({"a\x00key", "escaped"}, {"a\ufffdkey", "escaped"})
    assert result.get("a\x00key", result.get("a\ufffdkey")) in ("nul\x00here", "nul\ufffdhere")
    assert got.doc["logs"][0] in ("line with \x00 in it", "line with \ufffd in it")
    assert await store.get_activation(NS, f"{2:032x}") is not None
