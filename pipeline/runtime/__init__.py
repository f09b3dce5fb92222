"""How stages run: the engine (local processes, serial, Ray), the stage runner, Parquet sinks and
readers, incremental reuse, run statistics and each stage's scratch directory. Knows no stage by
name and holds no page logic."""
