"""PyInstaller runtime hook: the bundle never reaches for the network to load its model.

Runs before any application code. Forced, not defaulted: an installed app must behave the same
whatever the user's shell exports, and its model ships inside it.
"""

import os

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
# ONNX Runtime (queries, index/embed/query_graph.py) carries Microsoft's telemetry client.
os.environ["ORT_DISABLE_TELEMETRY"] = "1"
# transformers' compute kernels from the Hub (index/embed/model.py forces the same).
os.environ["USE_HUB_KERNELS"] = "NO"
