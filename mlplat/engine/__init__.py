"""The offline engine: run the program under mocks, judge it with the policy pack, estimate cost."""
