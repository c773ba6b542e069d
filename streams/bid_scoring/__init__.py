"""The bid-anomaly agent: per-auction windows, the bid_anomaly model, FlagBid."""
