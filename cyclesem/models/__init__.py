"""``keras.Model`` subclasses with a custom ``train_step`` (the TensorFlow-specific part)."""


def cyclegan_task(config, blurry: list, clear: list):
    """The unpaired training task ``config.model.degradation`` names (``physical`` or ``unet``)."""
    if config.model.degradation == "physical":
        from cyclesem.models.physical_cyclegan import PhysicalCycleGanTask

        return PhysicalCycleGanTask(config, blurry, clear)
    from cyclesem.models.cyclegan import CycleGanTask

    return CycleGanTask(config, blurry, clear)
