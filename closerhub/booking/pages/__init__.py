"""The prospect's booking pages and the signed-in booking page: views, manage-by-link, the picker, display helpers."""
