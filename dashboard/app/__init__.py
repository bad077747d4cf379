"""The app's plumbing: the pages and their order, presenter and speaker mode, the server's
hooks, the warm-up and each page's first view, and work that runs outside the script.

Below the views and widgets, above the caches: nothing here draws a page's own content."""
