"""What every cloud's components share: tags/labels, naming and GPU pool shape."""
