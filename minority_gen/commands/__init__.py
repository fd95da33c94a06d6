"""Sub-commands of ``minority-gen`` (one module each, discovered by ``cli``)."""
