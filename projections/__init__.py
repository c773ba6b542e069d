"""Read models: their schemas and the pure logic that turns events into rows and keys."""
