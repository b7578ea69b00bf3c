# Stamped by the release pack step in a temp copy; the workspace keeps these placeholders.
VERSION = "0.0.0"
GIT_SHA = "unknown"
