"""Turn text into sound and pictures: speech engines, audio files and slides."""
