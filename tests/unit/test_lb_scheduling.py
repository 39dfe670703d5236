"""The sharding scheduler: stable hashes, step sizes, probe order, slots and placement."""

from __future__ import annotations

import random

import pytest

from controller.loadbalancer.scheduling import (
    InvokerSlots,
    action_hash,
    probe_order,
    schedule,
    stable_hash,
    step_sizes,
)
from whisk.errors import InvalidArgument

FREE = InvokerSlots(capacity_mb=512)
FULL = InvokerSlots(capacity_mb=512, used_mb=512)


def slots(*values: InvokerSlots) -> tuple[InvokerSlots, ...]:
    return tuple(values)


def test_stable_hash_is_crc32_of_the_utf8_bytes() -> None:
    # literal values: the same in every process and every run (unlike Python's hash())
    assert stable_hash("") == 0
    assert stable_hash("guest") == 2897713717
    assert stable_hash("ünï") == stable_hash("ünï") != stable_hash("uni")


def test_action_hash_xors_namespace_and_action_hashes() -> None:
    assert action_hash("guest", "guest/hello") == stable_hash("guest") ^ stable_hash("guest/hello")
    assert action_hash("guest", "guest/hello") != action_hash("other", "guest/hello")


def test_step_sizes_are_pairwise_coprime_with_n_and_each_other() -> None:
    assert step_sizes(1) == (1,)
    assert step_sizes(2) == (1,)
    assert step_sizes(10) == (1, 3, 7)
    assert step_sizes(12) == (1, 5, 7, 11)
    assert step_sizes(7) == (1, 2, 3, 5)


def test_step_sizes_refuse_no_invokers() -> None:
    with pytest.raises(InvalidArgument):
        step_sizes(0)


def test_probe_order_follows_the_notes_example() -> None:
    # n=10, hash=13: home 3, steps (1, 3, 7), step steps[13 % 3] = 3
    assert probe_order(13, 10) == (3, 6, 9, 2, 5, 8, 1, 4, 7, 0)


def test_probe_order_visits_every_invoker_once() -> None:
    for n in range(1, 30):
        for hash_value in (0, 1, 13, 12345, 2**32 - 1):
            assert sorted(probe_order(hash_value, n)) == list(range(n))


def test_slots_capacity_is_user_memory_over_controllers_floor_min_memory() -> None:
    assert InvokerSlots.for_invoker(2048, 1, 128) == InvokerSlots(2048)
    assert InvokerSlots.for_invoker(2048, 3, 128) == InvokerSlots(682)
    assert InvokerSlots.for_invoker(256, 4, 128) == InvokerSlots(128)


def test_slots_acquire_and_release_return_new_values() -> None:
    taken = FREE.acquire(256)
    assert (FREE.used_mb, taken.used_mb, taken.free_mb) == (0, 256, 256)
    assert taken.release(256) == FREE
    assert FREE.release(128) == FREE  # never below zero


def test_slots_acquire_refuses_what_does_not_fit_but_force_takes_it() -> None:
    with pytest.raises(InvalidArgument):
        FULL.acquire(128)
    over = FULL.force_acquire(256)
    assert (over.used_mb, over.free_mb) == (768, 0)
    assert over.release(256) == FULL


def test_slots_resized_keeps_what_is_used() -> None:
    assert FULL.resized(1024) == InvokerSlots(1024, 512)


def test_schedule_takes_the_home_invoker_when_it_has_room() -> None:
    placement = schedule(13, [FREE] * 10, [True] * 10, 256, random.Random(0))
    assert placement is not None
    assert (placement.invoker, placement.forced) == (3, False)
    assert placement.slots[3] == InvokerSlots(512, 256)
    assert placement.slots[:3] + placement.slots[4:] == (FREE,) * 9


def test_schedule_probes_past_full_and_unusable_invokers_in_step_order() -> None:
    # home 3 is full, 6 is down, 9 has room
    state = [FREE] * 10
    state[3] = FULL
    usable = [True] * 10
    usable[6] = False
    placement = schedule(13, state, usable, 256, random.Random(0))
    assert placement is not None
    assert (placement.invoker, placement.forced) == (9, False)


def test_schedule_needs_enough_free_memory_not_just_some() -> None:
    placement = schedule(0, slots(InvokerSlots(512, 384), FREE), [True, True], 256, random.Random())
    assert placement is not None
    assert placement.invoker == 1


def test_schedule_forces_a_random_usable_invoker_when_all_are_full() -> None:
    state = [FULL, FULL, FULL]
    usable = [True, False, True]
    chosen = set()
    for seed in range(20):
        placement = schedule(5, state, usable, 128, random.Random(seed))
        assert placement is not None and placement.forced
        assert placement.slots[placement.invoker].used_mb == 512 + 128
        chosen.add(placement.invoker)
    assert chosen == {0, 2}


def test_schedule_is_deterministic_for_a_seeded_rng() -> None:
    state = [FULL] * 5
    a = schedule(1, state, [True] * 5, 128, random.Random(42))
    b = schedule(1, state, [True] * 5, 128, random.Random(42))
    assert a == b


def test_schedule_gives_none_when_no_invoker_is_usable() -> None:
    assert schedule(13, [FREE, FREE], [False, False], 128, random.Random()) is None
    assert schedule(13, [], [], 128, random.Random()) is None


def test_schedule_refuses_mismatched_views_and_bad_memory() -> None:
    with pytest.raises(InvalidArgument):
        schedule(1, [FREE], [True, True], 128, random.Random())
    with pytest.raises(InvalidArgument):
        schedule(1, [FREE], [True], 0, random.Random())
