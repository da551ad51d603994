"""The domain core: model, plan, store, settings, errors at the top; a sub-package per subject."""
