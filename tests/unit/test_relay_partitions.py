"""The relay chooses partitions itself (it hands aiokafka whole batches): it must choose
exactly what aiokafka's default partitioner, like Java clients, would for the same key."""

from __future__ import annotations

from aiokafka.partitioner import DefaultPartitioner
from hypothesis import given
from hypothesis import strategies as st

from streams.relay_prepare import PartitionChooser


@given(keys=st.lists(st.binary(min_size=0, max_size=64), max_size=50), count=st.integers(1, 32))
def test_the_relay_picks_the_default_partitioners_partition(keys: list[bytes], count: int) -> None:
    chooser = PartitionChooser(max_keys=8)  # small: the remembered hashes are also dropped
    partitions = list(range(count))
    for key in keys + keys:  # the second time round, from what it remembered
        assert chooser.partition(key, partitions) == DefaultPartitioner()(
            key, partitions, partitions
        )
