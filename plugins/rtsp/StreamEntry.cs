using CameraService.Abstractions.Cameras;

namespace CameraService.Plugins.Rtsp;

/// <summary>
/// One stream: what was configured or added (immutable) and what its watch found (mutable, guarded by the
/// <see cref="StreamRegistry"/> lock), plus the handle of its watch loop (<see cref="StreamWatcher"/>).
/// </summary>
internal sealed record StreamEntry(StreamUrl Url, string Name, string Type, bool Configured, DateTimeOffset AddedAt)
{
    /// <summary>Added over the API in this run (a stream that never answered is then shown as a camera in error).</summary>
    public bool AddedThisRun { get; init; }

    public bool Connected { get; set; }

    /// <summary>Its camera has been reported (added and not removed since).</summary>
    public bool Reported { get; set; }

    public CameraDescriptor? Descriptor { get; set; }

    public ProbeResult? Probe { get; set; }

    public string? LastError { get; set; }

    public DateTimeOffset? LastSeen { get; set; }

    /// <summary>Completed after the first probe of the watch loop (or when the loop ends before one).</summary>
    public TaskCompletionSource FirstCheck { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Cancelled when the stream is removed; set (with <see cref="Ended"/>) when its watch starts.</summary>
    public CancellationTokenSource? Removal { get; set; }

    /// <summary>Completed when the watch loop has ended.</summary>
    public TaskCompletionSource? Ended { get; set; }

    /// <summary>Ends this stream's watch (it was removed) and waits for the loop to finish; nothing when it never ran.</summary>
    public async Task StopWatchAsync()
    {
        if (Removal is not { } removal || Ended is not { } ended)
        {
            return;
        }

        await removal.CancelAsync().ConfigureAwait(false);
        await ended.Task.ConfigureAwait(false);
        removal.Dispose();
    }
}
