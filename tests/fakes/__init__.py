# ``serve_forever`` looks for a shutdown request every ``poll_interval`` (0.5 s by default): a
# fixture stopping its server in teardown waited up to that long, for each of hundreds of tests.
POLL = {"poll_interval": 0.02}
