"""What every outbound client shares: one retry policy and errors that know whether a retry
can help. Plain Python; imports no app of ours, so any layer may use it."""
