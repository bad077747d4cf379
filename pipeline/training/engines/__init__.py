"""The two training engines, one per framework, with one signature:

    train(config, workdir, report, should_stop) -> pipeline.records.RunResult

``common`` holds what they share. Import an engine only in a process that trains: it loads
its framework at import time.
"""
