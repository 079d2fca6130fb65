using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using CameraService.Abstractions;
using CameraService.Abstractions.Plugins;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// <see cref="IStreamBackend"/> without a media server: per camera, on demand, one supervised ffmpeg process
/// reads the capture input and fans out to recording segments, an HLS playlist and a live frame for snapshots.
/// </summary>
internal sealed class FfmpegStreamBackend : IStreamBackend, IVideoFrameSource, IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, CameraPipeline> _pipelines = new(StringComparer.Ordinal);
    private readonly PipelineContext _context;
    private readonly IServiceEnvironment _environment;
    private readonly Lock _healthSync = new();
    private readonly List<PosixSignalRegistration> _signalRegistrations = [];
    private volatile bool _started;
    private volatile bool _shuttingDown;
    private volatile bool _ffmpegMissing;
    private string? _lastError;
    private DateTimeOffset? _lastErrorTime;
    private ComponentState _lastReportedState = ComponentState.Stopped;

    public FfmpegStreamBackend(IOptions<FfmpegOptions> options, IServiceEnvironment environment, TimeProvider time, ILogger<FfmpegStreamBackend> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        Options = options.Value;
        _environment = environment;
        Time = time;
        Logger = logger;
        _context = new PipelineContext
        {
            Options = Options,
            Time = time,
            Logger = logger,
            RequireFfmpeg = RequireFfmpeg,
            ReportError = ReportError,
            Raise = Raise,
            ShuttingDown = () => _shuttingDown,
        };
    }

    public event EventHandler<StreamBackendEventArgs>? BackendEvent;

    public string Name => "ffmpeg";

    internal FfmpegOptions Options { get; }

    internal TimeProvider Time { get; }

    internal ILogger Logger { get; }

    private string HlsRoot => Options.ResolvedHlsDirectory;


    public Task StartAsync(CancellationToken cancellationToken)
    {
        _started = true;
        _shuttingDown = false;
        ScratchDirectory.EnsurePrivate(HlsRoot);
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
        foreach (var signal in new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM })
        {
            // Observe only (Cancel untouched): the host decides how to shut down.
            _signalRegistrations.Add(PosixSignalRegistration.Create(signal, _ => _shuttingDown = true));
        }

        if (FfmpegLocator.Resolve(Options.FfmpegPath) is null)
        {
            // Not fatal: the rest of the service runs, health says what to do, and installing ffmpeg later
            // makes the next call work (the path is resolved again on every use).
            _ffmpegMissing = true;
            Log.FfmpegMissing(Logger, Options.FfmpegPath);
        }

        OrphanReaper.StopOrphans(HlsRoot, Logger);
        RaiseHealthChangeIfAny();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _started = false;
        var all = _pipelines.Values.ToList();
        _pipelines.Clear();
        await Task.WhenAll(all.Select(p => ClosePipelineAsync(p, cancellationToken))).ConfigureAwait(false);
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        foreach (var registration in _signalRegistrations)
        {
            registration.Dispose();
        }

        _signalRegistrations.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_pipelines.IsEmpty)
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
    }

    public async Task PublishAsync(StreamCamera camera, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(camera);
        ArgumentNullException.ThrowIfNull(camera.Input);
        ValidateCameraId(camera.CameraId);
        var pipeline = _pipelines.GetOrAdd(camera.CameraId, _ => new CameraPipeline(_context, camera));
        await Storage(() => pipeline.UpdateCameraAsync(camera, cancellationToken), "Publishing camera " + camera.CameraId).ConfigureAwait(false);
    }

    public async Task UnpublishAsync(string cameraId, CancellationToken cancellationToken)
    {
        if (_pipelines.TryRemove(cameraId, out var pipeline))
        {
            await pipeline.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<StreamInfo> StartStreamingAsync(string cameraId, CancellationToken cancellationToken) =>
        Storage(() => Get(cameraId).StartStreamingAsync(cancellationToken), "Starting the stream of " + cameraId);

    public Task<StreamInfo> StopStreamingAsync(string cameraId, CancellationToken cancellationToken) =>
        Get(cameraId).StopStreamingAsync(cancellationToken);

    public Task<StreamInfo> GetStreamAsync(string cameraId, CancellationToken cancellationToken) =>
        Task.FromResult(Get(cameraId).GetInfo());

    public Task<IReadOnlyList<StreamInfo>> GetStreamsAsync(CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<StreamInfo>>(_pipelines.Values.OrderBy(p => p.CameraId, StringComparer.Ordinal).Select(p => p.GetInfo()).ToList());

    public StreamUrls GetStreamUrls(string cameraId)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        return new StreamUrls { Hls = _environment.PublicBaseUrl + "/streams/" + Uri.EscapeDataString(cameraId) + "/index.m3u8" };
    }

    public Task<BackendRecording> StartRecordingAsync(RecordingRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Format is not (RecordingFormats.Fmp4 or RecordingFormats.Mp4 or RecordingFormats.Mkv))
        {
            throw new InvalidParameterException("format", "must be 'fmp4', 'mp4' or 'mkv'");
        }

        if (string.IsNullOrWhiteSpace(request.OutputDirectory) || !Path.IsPathFullyQualified(request.OutputDirectory))
        {
            throw new InvalidParameterException("output_directory", "must be an absolute directory path");
        }

        return Storage(() => Get(request.CameraId).StartRecordingAsync(request, cancellationToken), "Starting the recording of " + request.CameraId);
    }

    public Task<BackendRecording> StopRecordingAsync(string cameraId, CancellationToken cancellationToken) =>
        Storage(() => Get(cameraId).StopRecordingAsync(cancellationToken), "Stopping the recording of " + cameraId);

    public Task<IReadOnlyList<BackendRecording>> GetActiveRecordingsAsync(CancellationToken cancellationToken)
    {
        // Our processes never outlive the service (stopped on shutdown, reaped at start), so there is
        // nothing to adopt after a restart: what runs now is all there is.
        IReadOnlyList<BackendRecording> active = _pipelines.Values
            .Select(p => p.ActiveRecording)
            .OfType<BackendRecording>()
            .OrderBy(r => r.CameraId, StringComparer.Ordinal)
            .ToList();
        return Task.FromResult(active);
    }

    public Task<SnapshotResult> TakeSnapshotAsync(SnapshotRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var format = request.Format.ToLowerInvariant() switch
        {
            "jpg" or "jpeg" => "jpg",
            "png" => "png",
            _ => throw new InvalidParameterException("format", "must be 'jpg' or 'png'"),
        };
        if (request.Quality is < 1 or > 100)
        {
            throw new InvalidParameterException("quality", "must be between 1 and 100");
        }

        if (request.Timeout <= TimeSpan.Zero)
        {
            throw new InvalidParameterException("timeout", "must be positive");
        }

        var directory = Path.GetDirectoryName(request.OutputPath);
        if (string.IsNullOrEmpty(directory) || !Path.IsPathFullyQualified(request.OutputPath))
        {
            throw new InvalidParameterException("output_path", "must be an absolute file path");
        }

        return Storage(() =>
        {
            Directory.CreateDirectory(directory);
            return Get(request.CameraId).TakeSnapshotAsync(request with { Format = format }, cancellationToken);
        }, "The snapshot of " + request.CameraId);
    }

    public ComponentStatus GetHealth()
    {
        if (!_started)
        {
            return new ComponentStatus { State = ComponentState.Stopped, Message = "The ffmpeg backend is not started.", LastError = _lastError, LastErrorTime = _lastErrorTime };
        }

        if (_ffmpegMissing)
        {
            return new ComponentStatus { State = ComponentState.Error, Message = FfmpegLocator.InstallHint, LastError = _lastError ?? FfmpegLocator.InstallHint, LastErrorTime = _lastErrorTime };
        }

        var failures = _pipelines.Values.Select(p => p.Failure).OfType<string>().ToList();
        return failures.Count == 0
            ? new ComponentStatus { State = ComponentState.Running, LastError = _lastError, LastErrorTime = _lastErrorTime }
            : new ComponentStatus { State = ComponentState.Degraded, Message = string.Join("; ", failures) + " (restarting)", LastError = _lastError, LastErrorTime = _lastErrorTime };
    }

    /// <summary>
    /// Frames for analysis (motion detection): a decoder ffmpeg fed the camera's own encoded feed on stdin (no second
    /// opening of the device), which keeps the camera's process running while it reads.
    /// </summary>
    public async IAsyncEnumerable<VideoFrame> ReadFramesAsync(VideoFrameRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pipeline = Find(request.CameraId) ?? throw new ResourceNotFoundException("camera", request.CameraId, $"Camera {request.CameraId} is not published.");
        var ffmpeg = RequireFfmpeg();
        var feed = await pipeline.OpenFrameReaderAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var frames = Shared.FfmpegFrameReader.ReadAsync(
                ffmpeg, ["-f", "mpegts", "-i", "pipe:0"], request, Time, FfmpegLocator.InstallHint, feed, cancellationToken);
            await foreach (var frame in frames.ConfigureAwait(false))
            {
                yield return frame;
            }
        }
        finally
        {
            await pipeline.CloseFrameReaderAsync(feed).ConfigureAwait(false);
            await feed.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The pipeline of a published camera (HLS endpoints, tests); null when unknown.</summary>
    internal CameraPipeline? Find(string cameraId) => _pipelines.GetValueOrDefault(cameraId);

    /// <summary>The ffmpeg executable, or the contract's dependency failure with the install hint.</summary>
    private string RequireFfmpeg()
    {
        var path = FfmpegLocator.Resolve(Options.FfmpegPath);
        if (path is null)
        {
            if (!_ffmpegMissing)
            {
                _ffmpegMissing = true;
                Log.FfmpegMissing(Logger, Options.FfmpegPath);
                ReportError(FfmpegLocator.InstallHint);
                RaiseHealthChangeIfAny();
            }

            throw new DependencyFailedException("ffmpeg", FfmpegLocator.InstallHint);
        }

        if (_ffmpegMissing)
        {
            _ffmpegMissing = false;
            RaiseHealthChangeIfAny();
        }

        return path;
    }

    private void ReportError(string error)
    {
        lock (_healthSync)
        {
            _lastError = error;
            _lastErrorTime = Time.GetUtcNow();
        }
    }

    private void Raise(List<StreamBackendEventArgs> events)
    {
        foreach (var e in events)
        {
            try
            {
                BackendEvent?.Invoke(this, e);
            }
            catch (Exception ex)
            {
                // A subscriber's bug must not break the supervision loop that raised the event.
                Log.EventHandlerFailed(Logger, ex);
            }
        }

        events.Clear();
    }

    private static void ValidateCameraId(string cameraId)
    {
        if (string.IsNullOrEmpty(cameraId) || cameraId.Length > 64
            || !cameraId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            // The id becomes part of file names and URLs.
            throw new InvalidParameterException("camera_id", "must be 1–64 letters, digits, '_' or '-'");
        }
    }

    private static async Task ClosePipelineAsync(CameraPipeline pipeline, CancellationToken cancellationToken)
    {
        try
        {
            await pipeline.CloseAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Shutdown was cancelled: the process-exit hook still interrupts what runs.
            pipeline.Interrupt();
        }
    }

    /// <summary>
    /// A file-system failure (a directory that cannot be created, a disk error, a full disk) becomes the contract's dependency
    /// failure with what to check, instead of escaping as an internal error (-32603); the message names no server path.
    /// </summary>
    private static async Task<T> Storage<T>(Func<Task<T>> call, string what)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageFailed(what, ex);
        }
    }

    private static async Task Storage(Func<Task> call, string what)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageFailed(what, ex);
        }
    }

    private static DependencyFailedException StorageFailed(string what, Exception ex) =>
        new("storage", $"{what} failed: a file or directory could not be written ({ex.GetType().Name}); check the free space and permissions of the storage and of Plugins:Ffmpeg:HlsDirectory.", ex);

    private CameraPipeline Get(string cameraId)
    {
        ArgumentNullException.ThrowIfNull(cameraId);
        return _pipelines.TryGetValue(cameraId, out var p)
            ? p
            : throw new ResourceNotFoundException("camera", cameraId, $"Camera {cameraId} is not published by the stream backend.");
    }

    private void RaiseHealthChangeIfAny()
    {
        var state = GetHealth();
        bool changed;
        lock (_healthSync)
        {
            changed = state.State != _lastReportedState;
            _lastReportedState = state.State;
        }

        if (changed)
        {
            Raise([new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, Reason = state.Message ?? "ffmpeg backend running" }]);
        }
    }

    private void OnProcessExit(object? sender, EventArgs e) =>
        // The service is exiting without StopAsync (e.g. an unhandled exception): let no ffmpeg outlive it.
        _context.Processes.StopAllNow();
}
