using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using CameraService.Abstractions.Cameras;
using CameraService.Core.Auth;
using CameraService.Core.Cameras;
using CameraService.Core.Events;
using CameraService.Core.Plugins;
using CameraService.Core.Rpc;

namespace CameraService.Core.Methods;

/// <summary>
/// The Go original's five external-stream methods (api-contract.md §8.4): <c>discover_external_streams</c>,
/// <c>add_external_stream</c>, <c>remove_external_stream</c>, <c>get_external_streams</c>, <c>set_discovery_interval</c>,
/// answered by the camera source that implements <see cref="IExternalStreamSource"/> (the rtsp plugin). It also
/// forwards that source's changes as <c>external_stream_update</c> notifications on the <c>camera.*</c> topics.
/// </summary>
internal sealed class ExternalStreamMethods : IRpcMethodProvider, IDisposable
{
    private readonly ActiveComponents _components;
    private readonly CameraRegistry _registry;
    private readonly IEventPublisher _events;
    private readonly TimeProvider _time;
    private readonly List<IExternalStreamSource> _subscribed = [];

    public ExternalStreamMethods(ActiveComponents components, CameraRegistry registry, IEventPublisher events, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(components);
        _components = components;
        _registry = registry;
        _events = events;
        _time = time;
        foreach (var source in components.CameraSources.OfType<IExternalStreamSource>())
        {
            source.ExternalStreamChanged += OnChanged;
            _subscribed.Add(source);
        }
    }

    public void Dispose()
    {
        foreach (var source in _subscribed)
        {
            source.ExternalStreamChanged -= OnChanged;
        }

        _subscribed.Clear();
    }

    public IEnumerable<RpcMethod> GetMethods()
    {
        yield return new RpcMethod(
            "discover_external_streams",
            RpcRole.Operator,
            "Scans the configured discovery targets (RTSP probe, ONVIF WS-Discovery) and lists what answers; nothing is added.",
            [
                new RpcParam("skydio_enabled", RpcParamType.Boolean, "Probe the Skydio profile (:5554/subject, /infrared).") { Default = true },
                new RpcParam("generic_enabled", RpcParamType.Boolean, "Probe the generic targets and ONVIF devices.") { Default = true },
                new RpcParam("force_rescan", RpcParamType.Boolean, "Scan now even when the last scan is less than 30 s old.") { Default = false },
                new RpcParam("include_offline", RpcParamType.Boolean, "Also list probed targets that did not answer (status ERROR).") { Default = false },
            ],
            ExternalStreamJsonContext.Default.DiscoveryResult,
            [RpcErrorCodes.Unsupported],
            DiscoverAsync);

        yield return new RpcMethod(
            "add_external_stream",
            RpcRole.Operator,
            "Adds a network stream (persisted; credentials stored 0600, never shown); it becomes a camera (camera<N>, source rtsp).",
            [
                new RpcParam("stream_url", RpcParamType.String, "rtsp:// or rtsps:// URL, optionally with user:password@.", Required: true) { MaxLength = 2048 },
                new RpcParam("stream_name", RpcParamType.String, "A name for people (the camera's name).", Required: true) { MaxLength = 100, Pattern = @"^[^\u0000-\u001f\u007f]*\S[^\u0000-\u001f\u007f]*$" },
                new RpcParam("stream_type", RpcParamType.String, "skydio or generic; derived from the URL when absent.") { Enum = [ExternalStreamTypes.Skydio, ExternalStreamTypes.Generic] },
            ],
            ExternalStreamJsonContext.Default.AddResult,
            [RpcErrorCodes.Unsupported, RpcErrorCodes.DependencyFailed],
            AddAsync);

        yield return new RpcMethod(
            "remove_external_stream",
            RpcRole.Operator,
            "Removes a stream added through the API; its camera leaves the camera list (re-adding the URL gives the same camera id).",
            [new RpcParam("stream_url", RpcParamType.String, "The URL as added, or as listed (user:***@).", Required: true) { MaxLength = 2048 }],
            ExternalStreamJsonContext.Default.RemoveResult,
            [RpcErrorCodes.Unsupported, RpcErrorCodes.NotFound, RpcErrorCodes.InvalidState],
            RemoveAsync);

        yield return new RpcMethod(
            "get_external_streams",
            RpcRole.Viewer,
            "The added network streams (from the API and configuration), by category.",
            [],
            ExternalStreamJsonContext.Default.ExternalStreamListResult,
            [RpcErrorCodes.Unsupported],
            (c, _, _) =>
            {
                // A camera-scoped caller sees only the streams that are its cameras (api-contract §8.5).
                var scope = ScopeOf(c);
                var entries = Source().GetExternalStreams().Select(ToEntry).Where(e => Visible(e, scope)).ToList();
                return ValueTask.FromResult(RpcResult.From(
                    new ExternalStreamListResult(entries, [.. entries.Where(IsSkydio)], [.. entries.Where(e => !IsSkydio(e))], entries.Count, Now()),
                    ExternalStreamJsonContext.Default.ExternalStreamListResult));
            });

        yield return new RpcMethod(
            "set_discovery_interval",
            RpcRole.Admin,
            "Sets the period of the background discovery scan in seconds (0 = on demand only); persisted.",
            [new RpcParam("scan_interval", RpcParamType.Integer, "Seconds between scans; 0 = on demand only.", Required: true) { Minimum = 0, Maximum = 86400 }],
            ExternalStreamJsonContext.Default.IntervalResult,
            [RpcErrorCodes.Unsupported, RpcErrorCodes.DependencyFailed],
            SetIntervalAsync);
    }

    private IExternalStreamSource Source() =>
        _components.CameraSources.OfType<IExternalStreamSource>().FirstOrDefault()
        ?? throw new UnsupportedFeatureException(
            "external_streams",
            "No camera source for network streams is active; enable the rtsp plugin (see docs/rtsp.md and `camera-service plugins`).");

    private async ValueTask<RpcResult> DiscoverAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        RequireUnscoped(context);
        var source = Source();
        var request = new ExternalStreamScanRequest
        {
            SkydioEnabled = p.GetBoolean("skydio_enabled") ?? true,
            GenericEnabled = p.GetBoolean("generic_enabled") ?? true,
            ForceRescan = p.GetBoolean("force_rescan") ?? false,
            IncludeOffline = p.GetBoolean("include_offline") ?? false,
        };
        ExternalStreamScan scan;
        try
        {
            scan = await source.DiscoverAsync(request, ct).ConfigureAwait(false);
        }
        catch (UnsupportedFeatureException ex)
        {
            throw Disabled(ex);
        }

        var entries = scan.Streams.Select(ToEntry).ToList();
        return RpcResult.From(
            new DiscoveryResult(
                entries,
                [.. entries.Where(IsSkydio)],
                [.. entries.Where(e => !IsSkydio(e))],
                RpcJson.Timestamp(scan.ScannedAt),
                entries.Count(e => e.Status == ExternalStreamStatuses.Discovered),
                new DiscoveryOptionsResult(request.SkydioEnabled, request.GenericEnabled, request.ForceRescan, request.IncludeOffline),
                scan.Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + "s",
                scan.Errors),
            ExternalStreamJsonContext.Default.DiscoveryResult);
    }

    private async ValueTask<RpcResult> AddAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        RequireUnscoped(context);
        var added = await Source().AddExternalStreamAsync(
            new ExternalStreamRequest { Url = p.GetRequiredString("stream_url"), Name = p.GetRequiredString("stream_name"), Type = p.GetString("stream_type") },
            ct).ConfigureAwait(false);
        return RpcResult.From(
            new AddResult(added.Url, added.Name, added.Type, "ADDED", Now(), DeviceOf(added)),
            ExternalStreamJsonContext.Default.AddResult);
    }

    private async ValueTask<RpcResult> RemoveAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        var source = Source();
        var url = p.GetRequiredString("stream_url");
        var scope = ScopeOf(context);
        if (scope.IsLimited)
        {
            // Only a stream that is one of the caller's cameras; any other URL (another camera's stream, a discovered
            // one, or none at all) gets the same answer, so a scoped caller cannot probe which streams exist.
            var wanted = WithoutCredentials(url);
            var own = wanted is not null && source.GetExternalStreams().Select(ToEntry)
                .Any(e => Visible(e, scope) && string.Equals(WithoutCredentials(e.Url), wanted, StringComparison.Ordinal));
            if (!own)
            {
                throw SessionGuard.CameraNotAllowed();
            }
        }

        var removed = await source.RemoveExternalStreamAsync(url, ct).ConfigureAwait(false);
        return RpcResult.From(new RemoveResult(removed.Url, "REMOVED", Now()), ExternalStreamJsonContext.Default.RemoveResult);
    }

    private async ValueTask<RpcResult> SetIntervalAsync(RpcCallContext context, RpcParams p, CancellationToken ct)
    {
        RequireUnscoped(context);
        var seconds = (int)(p.GetInt64("scan_interval") ?? 0);
        try
        {
            await Source().SetDiscoveryIntervalAsync(TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false);
        }
        catch (UnsupportedFeatureException ex) when (ex.Feature != "external_streams")
        {
            throw Disabled(ex);
        }

        var message = seconds == 0 ? "Discovery runs on demand only." : $"Discovery scans every {seconds} s.";
        return RpcResult.From(new IntervalResult(seconds, "UPDATED", message, Now()), ExternalStreamJsonContext.Default.IntervalResult);
    }

    /// <summary>A stream URL as the source identifies it: parsed, without user and password (null when not a URL).</summary>
    private static string? WithoutCredentials(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? new UriBuilder(uri) { UserName = string.Empty, Password = string.Empty }.Uri.AbsoluteUri : null;

    private static CameraScope ScopeOf(RpcCallContext context) => context.Session.Principal?.Scope ?? CameraScope.All;

    /// <summary>A listed stream a caller may see: every stream for an unscoped caller, else only those that are its cameras.</summary>
    private static bool Visible(ExternalStreamEntry entry, CameraScope scope) => !scope.IsLimited || (entry.Device is { } device && scope.Allows(device));

    /// <summary>
    /// Adding, discovering and the discovery interval act on the whole box (a new camera id, a network scan listing
    /// every stream that answers), not on a camera: a camera-scoped credential is refused with -32002
    /// <c>reason: "camera_scope_limited"</c> (docs/security.md, "Per-camera scope").
    /// </summary>
    private static void RequireUnscoped(RpcCallContext context)
    {
        if (ScopeOf(context).IsLimited)
        {
            throw new RpcErrorException(
                RpcErrorCodes.PermissionDenied,
                RpcErrorException.Item("reason", "camera_scope_limited"),
                RpcErrorException.Item("message", "This method acts on every camera; use a credential without a cameras scope."));
        }
    }

    private static RpcErrorException Disabled(UnsupportedFeatureException ex) => new(
        RpcErrorCodes.Unsupported,
        RpcErrorException.Item("feature", ex.Feature),
        RpcErrorException.Item("reason", "feature_disabled"),
        RpcErrorException.Item("message", ex.Message));

    private void OnChanged(object? sender, ExternalStreamChangedEventArgs e)
    {
        var entry = ToEntry(e.Stream);
        var topic = e.Change switch
        {
            "connected" => EventTopics.CameraConnected,
            "disconnected" or "removed" => EventTopics.CameraDisconnected,
            _ => EventTopics.CameraStatusChange,
        };
        _events.Publish(
            topic,
            "external_stream_update",
            entry.Device,
            new ExternalStreamEvent(e.Change, entry.Url, entry.Name, entry.Type, entry.Status, entry.Device, Now(), entry),
            ExternalStreamJsonContext.Default.ExternalStreamEvent);
    }

    private ExternalStreamEntry ToEntry(ExternalStream s) => new(
        s.Url,
        s.Type,
        s.Name,
        s.Status,
        RpcJson.Timestamp(s.DiscoveredAt),
        s.LastSeen is { } seen ? RpcJson.Timestamp(seen) : null,
        DeviceOf(s),
        new ExternalStreamCapabilitiesResult(
            s.Capabilities.Protocol,
            s.Capabilities.Format,
            s.Capabilities.Source,
            s.Capabilities.StreamType,
            s.Capabilities.Port,
            s.Capabilities.StreamPath,
            s.Capabilities.Codec,
            s.Capabilities.Metadata));

    private string? DeviceOf(ExternalStream s)
    {
        if (s.StableId is null)
        {
            return null;
        }

        foreach (var camera in _registry.Cameras)
        {
            if (string.Equals(camera.Binding.StableId, s.StableId, StringComparison.Ordinal) &&
                _components.CameraSources.Any(c => c is IExternalStreamSource && string.Equals(c.Name, camera.Binding.Source, StringComparison.Ordinal)))
            {
                return camera.Id;
            }
        }

        return null;
    }

    private static bool IsSkydio(ExternalStreamEntry e) => e.Type == ExternalStreamTypes.Skydio;

    private string Now() => RpcJson.Timestamp(_time.GetUtcNow());
}

internal sealed record ExternalStreamCapabilitiesResult(
    string Protocol, string Format, string Source, string StreamType, int Port, string StreamPath, string? Codec, IReadOnlyDictionary<string, string> Metadata);

internal sealed record ExternalStreamEntry(
    [property: Description("credentials shown as user:***")] string Url,
    [property: AllowedValues(ExternalStreamTypes.Skydio, ExternalStreamTypes.Generic)] string Type,
    string Name,
    [property: AllowedValues(ExternalStreamStatuses.Discovered, ExternalStreamStatuses.Error)] string Status,
    [property: DataType(DataType.DateTime)] string DiscoveredAt,
    [property: DataType(DataType.DateTime)] string? LastSeen,
    [property: Description("camera<N> of an added stream")] string? Device,
    ExternalStreamCapabilitiesResult Capabilities);

internal sealed record DiscoveryOptionsResult(bool SkydioEnabled, bool GenericEnabled, bool ForceRescan, bool IncludeOffline);

internal sealed record DiscoveryResult(
    IReadOnlyList<ExternalStreamEntry> DiscoveredStreams,
    IReadOnlyList<ExternalStreamEntry> SkydioStreams,
    IReadOnlyList<ExternalStreamEntry> GenericStreams,
    [property: DataType(DataType.DateTime)] string ScanTimestamp,
    int TotalFound,
    DiscoveryOptionsResult DiscoveryOptions,
    [property: Description("e.g. 1.25s")] string ScanDuration,
    IReadOnlyList<string> Errors);

internal sealed record AddResult(
    string StreamUrl,
    string StreamName,
    [property: AllowedValues(ExternalStreamTypes.Skydio, ExternalStreamTypes.Generic)] string StreamType,
    [property: AllowedValues("ADDED")] string Status,
    [property: DataType(DataType.DateTime)] string Timestamp,
    [property: Description("camera<N>, once the first probe ended")] string? Device);

internal sealed record RemoveResult(string StreamUrl, [property: AllowedValues("REMOVED")] string Status, [property: DataType(DataType.DateTime)] string Timestamp);

internal sealed record ExternalStreamListResult(
    IReadOnlyList<ExternalStreamEntry> ExternalStreams,
    IReadOnlyList<ExternalStreamEntry> SkydioStreams,
    IReadOnlyList<ExternalStreamEntry> GenericStreams,
    int TotalCount,
    [property: DataType(DataType.DateTime)] string Timestamp);

internal sealed record IntervalResult(
    [property: Description("seconds; 0 = on demand only")] int ScanInterval,
    [property: AllowedValues("UPDATED")] string Status,
    string Message,
    [property: DataType(DataType.DateTime)] string Timestamp);

/// <summary>Params of <c>external_stream_update</c>: the change (added, removed, connected, disconnected, discovered) and the stream.</summary>
internal sealed record ExternalStreamEvent(string Change, string StreamUrl, string StreamName, string StreamType, string Status, string? Device, string Timestamp, ExternalStreamEntry Stream);

/// <summary>Source-generated JSON metadata of the external-stream results (kept beside them rather than in CoreJsonContext).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = false, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(DiscoveryResult))]
[JsonSerializable(typeof(AddResult))]
[JsonSerializable(typeof(RemoveResult))]
[JsonSerializable(typeof(ExternalStreamListResult))]
[JsonSerializable(typeof(IntervalResult))]
[JsonSerializable(typeof(ExternalStreamEvent))]
internal sealed partial class ExternalStreamJsonContext : JsonSerializerContext;
