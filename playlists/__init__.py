"""The domain core: model, plan, store, settings and errors at the top; a sub-package per subject."""
