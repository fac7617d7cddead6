"""Live state from the event streams: ``Aggregator`` is one consumer of the group."""

from data_feeds.aggregator.consumer import Aggregator, AggregatorSettings, AggregatorStats
from data_feeds.aggregator.maintenance import Maintenance, RetentionPolicy

__all__ = ["Aggregator", "AggregatorSettings", "AggregatorStats", "Maintenance", "RetentionPolicy"]
