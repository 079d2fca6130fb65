using System.Collections.Concurrent;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// What a <see cref="CameraPipeline"/> needs from the backend that owns it, and nothing more: settings, clock, log,
/// the ffmpeg executable, the table of running processes (so none outlives the service) and the way out for events
/// and errors. The backend builds one and hands the same one to every pipeline.
/// </summary>
internal sealed class PipelineContext
{
    public required FfmpegOptions Options { get; init; }

    public required TimeProvider Time { get; init; }

    public required ILogger Logger { get; init; }

    /// <summary>The ffmpeg executable, or the contract's dependency failure with the install hint.</summary>
    public required Func<string> RequireFfmpeg { get; init; }

    /// <summary>Records the last error for the backend's health.</summary>
    public required Action<string> ReportError { get; init; }

    /// <summary>Raises the events a pipeline collected (outside its lock).</summary>
    public required Action<List<StreamBackendEventArgs>> Raise { get; init; }

    /// <summary>True once the service got SIGINT/SIGTERM: child exits are then expected, not restarted.</summary>
    public required Func<bool> ShuttingDown { get; init; }

    /// <summary>Every ffmpeg running for a pipeline, by pid: long-running ones and one-shot snapshots.</summary>
    public ProcessTable Processes { get; } = new();

    /// <summary>Where the per-camera working directories (HLS, live frame) live.</summary>
    public string HlsRoot => Options.ResolvedHlsDirectory;
}

/// <summary>The ffmpeg processes of the backend, so that none outlives the service when it exits without a stop.</summary>
internal sealed class ProcessTable
{
    private readonly ConcurrentDictionary<int, FfmpegProcess> _pipelines = new();
    private readonly ConcurrentDictionary<int, byte> _oneShots = new();

    public void Track(FfmpegProcess process) => _pipelines[process.Id] = process;

    public void Untrack(FfmpegProcess process) => _pipelines.TryRemove(process.Id, out _);

    /// <summary>For <see cref="Shared.FfmpegOneShot"/>: a pid while it runs, its negation when it ended.</summary>
    public void OneShot(int pid)
    {
        if (pid > 0)
        {
            _oneShots[pid] = 0;
        }
        else
        {
            _oneShots.TryRemove(-pid, out _);
        }
    }

    /// <summary>The service is exiting: SIGINT to every pipeline (so outputs are finalized), then kill what is left.</summary>
    public void StopAllNow()
    {
        foreach (var pid in _oneShots.Keys)
        {
            _ = NativeMethods.Kill(pid, NativeMethods.SigKill);
        }

        foreach (var p in _pipelines.Values)
        {
            p.Interrupt();
        }

        var deadline = Environment.TickCount64 + 2000;
        foreach (var p in _pipelines.Values)
        {
            // Synchronous on purpose: ProcessExit handlers cannot await; bounded by the shared deadline.
            p.WaitForExit((int)Math.Max(0, deadline - Environment.TickCount64));
            p.Kill();
        }
    }
}
