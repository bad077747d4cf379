"""What every page runs within, and the lowest layer of the app: the deployment's settings
(what visitors may start, how models run, whether local paths open) and the session's data
source."""
