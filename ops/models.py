"""Operations: health checks live in ops.health; monitoring models come with the operations issue."""
