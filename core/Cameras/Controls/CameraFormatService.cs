using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Hosting;
using CameraService.Core.Media;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;
using Microsoft.Extensions.Logging;

namespace CameraService.Core.Cameras.Controls;

/// <summary>A capture profile chosen with <c>set_camera_format</c>, bound to a camera's source and stable id.</summary>
internal sealed record CameraFormatProfile(string Source, string StableId, string Format, int Width, int Height, double Fps);

/// <summary>The file format of <c>camera-formats.json</c>.</summary>
internal sealed record CameraFormatsFile(int Version, IReadOnlyList<CameraFormatProfile> Cameras);

/// <summary>Result of <c>set_camera_format</c>.</summary>
internal sealed record CameraFormatResult(string Device, string Format, string Resolution, double Fps, [property: System.ComponentModel.Description("true when the capture changed (the stream restarts with it)")] bool Restarted);

/// <summary>
/// <c>set_camera_format</c>: what a camera captures (pixel format, resolution, frame rate), validated against its
/// capabilities, persisted per stable id in <c>camera-formats.json</c>, applied through the source's
/// <see cref="ICameraCaptureModes"/> whenever the camera is (re)published — also after replug and restart. While the
/// camera records the call is refused (-32020): a mode change restarts the capture, and a recording is never cut by it.
/// </summary>
internal sealed partial class CameraFormatService
{
    public const string FileName = "camera-formats.json";

    private readonly ActiveComponents _components;
    private readonly CameraRegistry _registry;
    private readonly RecordingManager _recordings;
    private readonly StateDirectory _state;
    private readonly ILogger<CameraFormatService> _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Source, string StableId), CameraFormatProfile> _profiles = [];

    public CameraFormatService(ActiveComponents components, CameraRegistry registry, RecordingManager recordings, StateDirectory state, ILogger<CameraFormatService> logger)
    {
        _components = components;
        _registry = registry;
        _recordings = recordings;
        _state = state;
        _logger = logger;
        Load();
    }

    /// <summary>Installs the registry filter that applies saved profiles (called before the sources start).</summary>
    public void Attach() => _registry.DescriptorFilter = Filter;

    public CameraFormatResult Set(CameraView camera, string? format, string? resolution, double? fps)
    {
        var source = _components.CameraSources.FirstOrDefault(s => s.Name == camera.Binding.Source);
        if (source is not ICameraCaptureModes modes)
        {
            throw new RpcErrorException(
                RpcErrorCodes.Unsupported,
                RpcErrorException.Item("feature", "capture_modes"),
                RpcErrorException.Item("message", $"The camera source '{camera.Binding.Source}' cannot change what a camera captures."));
        }

        if (camera.Status != CameraStatus.Connected || camera.Descriptor is not { } descriptor)
        {
            throw new InvalidStateException("camera_not_connected", camera.StatusText, $"{camera.Id} is {camera.StatusText}; its format can be set while it is connected.");
        }

        if (_recordings.ActiveSession(camera.Id) is not null)
        {
            throw new InvalidStateException("recording", "RECORDING", $"{camera.Id} is recording; stop the recording first (changing the format restarts the capture and would cut it).");
        }

        var mode = Resolve(descriptor, format, resolution, fps);
        var input = modes.SelectCaptureInput(camera.Binding.StableId, mode);
        var profile = new CameraFormatProfile(camera.Binding.Source, camera.Binding.StableId, mode.Format, mode.Width, mode.Height, mode.FrameRate);
        var changed = descriptor.CaptureInput != input;
        lock (_gate)
        {
            _profiles[(profile.Source, profile.StableId)] = profile;
            try
            {
                Save();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new DependencyFailedException("state directory", "the format could not be saved; check that State:Directory is writable", ex);
            }
        }

        if (changed && source.GetCameras().FirstOrDefault(c => c.StableId == camera.Binding.StableId) is { } raw)
        {
            // The registry runs the filter (now answering the new profile) and republishes: the backend restarts the capture.
            _registry.Refresh(source, raw);
        }

        LogFormatSet(_logger, camera.Id, mode.Format, mode.Width, mode.Height, mode.FrameRate);
        return new CameraFormatResult(camera.Id, mode.Format, CameraRegistry.Format(mode.Width, mode.Height), mode.FrameRate, changed);
    }

    /// <summary>The mode asked for, absent parts taken from the current mode, every part checked against the capabilities.</summary>
    private static CameraCaptureMode Resolve(CameraDescriptor descriptor, string? format, string? resolution, double? fps)
    {
        var current = descriptor.CaptureInput?.Video;
        var fourcc = format ?? current?.PixelFormat ?? throw RpcErrorException.InvalidParams("format", "required");
        var offered = descriptor.Formats.FirstOrDefault(f => string.Equals(f.FourCc, fourcc, StringComparison.OrdinalIgnoreCase))
            ?? throw RpcErrorException.InvalidParams("format", "not_offered:" + string.Join('|', descriptor.Formats.Select(f => f.FourCc)));
        int width, height;
        if (resolution is not null)
        {
            var parts = resolution.Split('x');
            width = int.Parse(parts[0], CultureInfo.InvariantCulture);
            height = int.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        else if (current is not null && offered.Sizes.Any(s => s.Width == current.Width && s.Height == current.Height))
        {
            (width, height) = (current.Width, current.Height);
        }
        else
        {
            var largest = offered.Sizes.MaxBy(s => (long)s.Width * s.Height) ?? throw RpcErrorException.InvalidParams("format", "no_sizes");
            (width, height) = (largest.Width, largest.Height);
        }

        var size = offered.Sizes.FirstOrDefault(s => s.Width == width && s.Height == height)
            ?? throw RpcErrorException.InvalidParams("resolution", "not_offered:" + string.Join('|', offered.Sizes.Select(s => CameraRegistry.Format(s.Width, s.Height))));
        double rate;
        if (fps is { } wanted)
        {
            rate = size.FrameRates.FirstOrDefault(r => Math.Abs(r - wanted) < 0.01, -1);
            if (rate < 0)
            {
                throw RpcErrorException.InvalidParams("fps", "not_offered:" + string.Join('|', size.FrameRates.Select(r => r.ToString(CultureInfo.InvariantCulture))));
            }
        }
        else
        {
            rate = current is not null && size.FrameRates.Any(r => Math.Abs(r - current.FrameRate) < 0.01) ? current.FrameRate
                : size.FrameRates.Count > 0 ? size.FrameRates.Max() : 0;
        }

        return new CameraCaptureMode { Format = offered.FourCc, Width = width, Height = height, FrameRate = rate };
    }

    private CameraDescriptor Filter(ICameraSource source, CameraDescriptor descriptor)
    {
        CameraFormatProfile? profile;
        lock (_gate)
        {
            profile = _profiles.GetValueOrDefault((source.Name, descriptor.StableId));
        }

        if (profile is null || descriptor.State != CameraState.Available || source is not ICameraCaptureModes modes)
        {
            return descriptor;
        }

        try
        {
            var mode = new CameraCaptureMode { Format = profile.Format, Width = profile.Width, Height = profile.Height, FrameRate = profile.Fps };
            return descriptor with { CaptureInput = modes.SelectCaptureInput(descriptor.StableId, mode) };
        }
        catch (Exception ex) // a saved mode the camera no longer offers (other firmware): the default mode, and a warning
        {
            LogProfileNotApplied(_logger, ex, descriptor.StableId, profile.Format, profile.Width, profile.Height, profile.Fps);
            return descriptor;
        }
    }

    private void Load()
    {
        // A broken file is kept aside; cameras use their default modes.
        foreach (var p in _state.ReadJsonOrQuarantine(FileName, CameraFormatsJsonContext.Default.CameraFormatsFile)?.Cameras ?? [])
        {
            _profiles[(p.Source, p.StableId)] = p;
        }
    }

    private void Save() => _state.WriteAtomic(
        FileName,
        JsonSerializer.SerializeToUtf8Bytes(
            new CameraFormatsFile(1, [.. _profiles.Values.OrderBy(p => p.Source, StringComparer.Ordinal).ThenBy(p => p.StableId, StringComparer.Ordinal)]),
            CameraFormatsJsonContext.Default.CameraFormatsFile));

    [LoggerMessage(EventId = 1805, Level = LogLevel.Information, Message = "Capture format of {CameraId} set to {Format} {Width}x{Height}@{Fps}")]
    private static partial void LogFormatSet(ILogger logger, string cameraId, string format, int width, int height, double fps);

    [LoggerMessage(EventId = 1806, Level = LogLevel.Warning, Message = "The saved capture format {Format} {Width}x{Height}@{Fps} of {StableId} is not offered now; the default mode is used")]
    private static partial void LogProfileNotApplied(ILogger logger, Exception exception, string stableId, string format, int width, int height, double fps);
}

/// <summary>Source-generated JSON metadata of the capture-profile state file and result.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false)]
[JsonSerializable(typeof(CameraFormatsFile))]
[JsonSerializable(typeof(CameraFormatResult))]
internal sealed partial class CameraFormatsJsonContext : JsonSerializerContext;
