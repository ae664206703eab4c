"""The zygote: forked by the server before any request, it forks every child, reaps them and sweeps
what they leave. Trusted; its memory never holds a job."""
