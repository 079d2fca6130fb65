namespace CameraService.Core.Rpc;

/// <summary>
/// A per-session token bucket. Not thread-safe: a session's messages are handled one at a time, so only
/// that flow touches it.
/// </summary>
internal sealed class TokenBucket(double ratePerSecond, double capacity, TimeProvider timeProvider)
{
    private readonly double _capacity = capacity;
    private double _tokens = capacity;
    private long _last = timeProvider.GetTimestamp();

    /// <summary>Takes one token, or tells how long until one is available.</summary>
    public bool TryTake(out int retryAfterMs)
    {
        var now = timeProvider.GetTimestamp();
        var elapsed = timeProvider.GetElapsedTime(_last, now).TotalSeconds;
        _last = now;
        _tokens = Math.Min(_capacity, _tokens + (elapsed * ratePerSecond));
        if (_tokens >= 1)
        {
            _tokens -= 1;
            retryAfterMs = 0;
            return true;
        }

        retryAfterMs = Math.Max(1, (int)Math.Ceiling((1 - _tokens) / ratePerSecond * 1000));
        return false;
    }
}
