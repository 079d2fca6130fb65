namespace CameraService.Perf.Targets;

/// <summary>What a run talks to.</summary>
internal enum TargetKind
{
    /// <summary>Any server speaking the contract, given by <c>--url</c> (and <c>--token</c>).</summary>
    Url,

    /// <summary>The service started by the harness (<c>--start-service</c>).</summary>
    Service,

    /// <summary>The harness's own Kestrel echo server (the <c>limit</c> reference, <c>--echo</c>).</summary>
    Echo,
}

/// <summary>An endpoint under test, with what the harness knows about it.</summary>
internal sealed record TargetInfo(
    TargetKind Kind,
    Uri WebSocketUri,
    string? Token,
    int? ServerPid,
    string? StorageRoot,
    string? FakeDevicesDirectory,
    string? ServiceDirectory = null)
{
    /// <summary>The HTTP base of the same listener (downloads, health).</summary>
    public Uri HttpBase => new UriBuilder(WebSocketUri)
    {
        Scheme = WebSocketUri.Scheme == "wss" ? "https" : "http",
        Path = "/",
        Query = string.Empty,
    }.Uri;

    public string Label => Kind switch
    {
        TargetKind.Echo => "limit (echo)",
        TargetKind.Service => "service",
        _ => WebSocketUri.ToString(),
    };
}

/// <summary>A started (or given) target; disposing stops what the harness started.</summary>
internal interface ITarget : IAsyncDisposable
{
    TargetInfo Info { get; }
}

/// <summary>A server the harness did not start.</summary>
internal sealed class ExternalTarget(TargetInfo info) : ITarget
{
    public TargetInfo Info { get; } = info;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
