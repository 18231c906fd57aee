"""Operator settings of live code cells (see docs/operator.md, "Code cells")."""

from panlearn.settings.env import env_int, env_str

# Cell runs one signed-in user may start per minute, across all lessons.
PANLEARN_CELLS_RUNS_PER_MINUTE = env_int("PANLEARN_CELLS_RUNS_PER_MINUTE", 60)
# Cell runs per minute for visitors without an account, per client address.
PANLEARN_CELLS_VISITOR_RUNS_PER_MINUTE = env_int("PANLEARN_CELLS_VISITOR_RUNS_PER_MINUTE", 30)
# Kernel restarts (each a fresh sandbox with the scientific stack) per minute: per signed-in user, and per
# client address for visitors. Interrupts likewise.
PANLEARN_CELLS_RESTARTS_PER_MINUTE = env_int("PANLEARN_CELLS_RESTARTS_PER_MINUTE", 10)
PANLEARN_CELLS_VISITOR_RESTARTS_PER_MINUTE = env_int("PANLEARN_CELLS_VISITOR_RESTARTS_PER_MINUTE", 5)
PANLEARN_CELLS_INTERRUPTS_PER_MINUTE = env_int("PANLEARN_CELLS_INTERRUPTS_PER_MINUTE", 30)
PANLEARN_CELLS_VISITOR_INTERRUPTS_PER_MINUTE = env_int("PANLEARN_CELLS_VISITOR_INTERRUPTS_PER_MINUTE", 15)
# Visitor sessions (each with a kernel until it idles out) one client address may hold at once.
PANLEARN_CELLS_VISITOR_SESSIONS_PER_ADDRESS = env_int("PANLEARN_CELLS_VISITOR_SESSIONS_PER_ADDRESS", 5)
# Earlier versions kept of each student's code in each cell.
PANLEARN_CELLS_DRAFT_HISTORY = env_int("PANLEARN_CELLS_DRAFT_HISTORY", 20)
# Longest code saved for a cell (bytes); the runner has its own limit for what it runs.
PANLEARN_CELLS_MAX_DRAFT_BYTES = env_int("PANLEARN_CELLS_MAX_DRAFT_BYTES", 256 * 1024)
# Redis that carries a student's cell events to their tabs across web processes (redis://host:6379/2);
# empty: each web process tells its own tabs only (one web process, or sticky sessions).
PANLEARN_CELLS_HUB_URL = env_str("PANLEARN_CELLS_HUB_URL", "")
# Its channel: one per site sharing a Redis.
PANLEARN_CELLS_HUB_CHANNEL = env_str("PANLEARN_CELLS_HUB_CHANNEL", "panlearn:cells:hub")
