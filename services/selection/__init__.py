"""selection: greedy farthest-point selection (the seed paper's Algorithm 1) on a job."""
