"""The STARCaster network on diffusers: video UNet, conditioning streams, reference UNet, sampler, training."""
