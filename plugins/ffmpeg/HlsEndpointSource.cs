using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Plugins;

namespace CameraService.Plugins.Ffmpeg;

/// <summary>
/// Serves the HLS live stream: <c>GET /streams/{cameraId}/index.m3u8</c> and its segments, with the download
/// rules: a Bearer credential (viewer or above) or <c>?token=</c> signed for <c>streams/&lt;cameraId&gt;</c>.
/// Players resolve segment URIs relative to the playlist and drop its query, so the playlist is rewritten
/// to carry a token on every segment URI (the caller's own token, or a fresh one for a Bearer caller).
/// </summary>
internal sealed partial class HlsEndpointSource : IHttpEndpointSource
{
    private const string PlaylistContentType = "application/vnd.apple.mpegurl";
    private static readonly TimeSpan PlaylistWait = TimeSpan.FromSeconds(10);

    private readonly FfmpegStreamBackend _backend;
    private readonly IAccessControl? _access;

    /// <param name="backend">The backend whose streams are served.</param>
    /// <param name="accessControls">
    /// The core's access control. Taken as a sequence so that a host without one still starts: the endpoints then
    /// refuse every request (503) instead of failing the whole HTTP listener.
    /// </param>
    /// <param name="environment">The service environment (which backend is selected).</param>
    public HlsEndpointSource(FfmpegStreamBackend backend, IEnumerable<IAccessControl> accessControls, IServiceEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(accessControls);
        ArgumentNullException.ThrowIfNull(environment);
        _backend = backend;
        _access = accessControls.LastOrDefault();
        // Only the selected backend owns /streams: with MediaMTX selected, MediaMTX serves HLS itself.
        var active = string.Equals(environment.SelectedStreamBackend, backend.Name, StringComparison.OrdinalIgnoreCase);
        Endpoints = active
            ?
            [
                new HttpEndpoint { Method = "GET", Pattern = "/streams/{cameraId}/index.m3u8", Handler = (r, ct) => HandleAsync(r, FfmpegCommand.PlaylistName, ct) },
                new HttpEndpoint { Method = "GET", Pattern = "/streams/{cameraId}/{segment}", Handler = (r, ct) => HandleAsync(r, r.RouteValues.GetValueOrDefault("segment") ?? string.Empty, ct) },
            ]
            : [];
    }

    public IReadOnlyList<HttpEndpoint> Endpoints { get; }

    internal async ValueTask<HttpReply> HandleAsync(HttpRequestData request, string file, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var cameraId = request.RouteValues.GetValueOrDefault("cameraId") ?? string.Empty;
        var (status, reason, token) = await AuthorizeAsync(request, cameraId, cancellationToken).ConfigureAwait(false);
        if (status != 200)
        {
            return Error(status, reason);
        }

        var pipeline = _backend.Find(cameraId);
        if (pipeline is null)
        {
            return Error(404, $"Camera {cameraId} is not published.");
        }

        if (file == FfmpegCommand.PlaylistName)
        {
            var directory = await WaitForPlaylistAsync(pipeline, cancellationToken).ConfigureAwait(false);
            if (directory is null)
            {
                return Error(404, $"The live stream of {cameraId} is not running; start it with start_streaming.");
            }

            string text;
            try
            {
                text = await File.ReadAllTextAsync(Path.Combine(directory, FfmpegCommand.PlaylistName), cancellationToken).ConfigureAwait(false);
            }
            catch (FileNotFoundException)
            {
                return Error(404, $"The live stream of {cameraId} is not running; start it with start_streaming.");
            }

            var body = Encoding.UTF8.GetBytes(RewritePlaylist(text, token!));
            pipeline.NoteHlsServed(body.Length);
            return new HttpContentReply { StatusCode = 200, ContentType = PlaylistContentType, Body = body };
        }

        if (!SegmentName().IsMatch(file) || pipeline.ServingHlsDirectory is not { } dir)
        {
            return Error(404, "No such segment.");
        }

        var info = new FileInfo(Path.Combine(dir, file));
        if (!info.Exists)
        {
            return Error(404, "No such segment (it may have rolled out of the playlist).");
        }

        pipeline.NoteHlsServed(info.Length);
        return new HttpFileReply { Path = info.FullName, ContentType = "video/mp2t", LastModified = info.LastWriteTimeUtc, CacheControl = "max-age=60" };
    }

    /// <summary>Appends <c>?token=</c> to every URI line of a media playlist.</summary>
    internal static string RewritePlaylist(string playlist, string token)
    {
        var sb = new StringBuilder(playlist.Length + 256);
        var query = "?token=" + Uri.EscapeDataString(token);
        foreach (var raw in playlist.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            sb.Append(line);
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                sb.Append(query);
            }

            sb.Append('\n');
        }

        return sb.ToString().TrimEnd('\n') + "\n";
    }

    private static HttpContentReply Error(int status, string? message)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("error", message ?? "unauthorized");
            writer.WriteEndObject();
        }

        return new HttpContentReply { StatusCode = status, ContentType = "application/json", Body = stream.ToArray() };
    }

    [GeneratedRegex("^index[0-9]{1,20}\\.ts$", RegexOptions.CultureInvariant)]
    private static partial Regex SegmentName();

    private async ValueTask<(int Status, string? Reason, string? Token)> AuthorizeAsync(HttpRequestData request, string cameraId, CancellationToken cancellationToken)
    {
        var resource = "streams/" + cameraId;
        if (_access is null)
        {
            return (503, "Access control is not available; the stream cannot be served.", null);
        }

        var hasToken = request.Query.TryGetValue("token", out var token) && token.Length > 0;
        if (hasToken && _access.VerifyResource(resource, token!))
        {
            return (200, null, token);
        }

        if (hasToken && request.BearerToken is not { Length: > 0 })
        {
            return (401, "The token is invalid or expired.", null);
        }

        if (request.BearerToken is { Length: > 0 } bearer)
        {
            var result = _access is IScopedAccessControl scoped
                ? await scoped.AuthorizeResourceAsync(bearer, ApiRole.Viewer, resource, cancellationToken).ConfigureAwait(false)
                : await _access.AuthorizeAsync(bearer, ApiRole.Viewer, cancellationToken).ConfigureAwait(false);
            if (result is { Allowed: false, StatusCode: 404 })
            {
                return (404, "No such stream.", null);
            }

            return result.Allowed
                ? (200, null, _access.SignResource(resource, _backend.Options.HlsTokenLifetime))
                : (result.StatusCode is 401 or 403 ? result.StatusCode : 401, result.Reason ?? "Not authorized.", null);
        }

        return (401, "Authentication required: send 'Authorization: Bearer <token>' or a signed '?token='.", null);
    }

    private async Task<string?> WaitForPlaylistAsync(CameraPipeline pipeline, CancellationToken cancellationToken)
    {
        // Right after start_streaming the first segment is still being cut: wait briefly instead of a 404.
        var deadline = _backend.Time.GetUtcNow() + PlaylistWait;
        while (true)
        {
            if (pipeline.ServingHlsDirectory is { } dir && File.Exists(Path.Combine(dir, FfmpegCommand.PlaylistName)))
            {
                return dir;
            }

            if (!pipeline.HlsWanted || _backend.Time.GetUtcNow() > deadline)
            {
                return null;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), _backend.Time, cancellationToken).ConfigureAwait(false);
        }
    }
}
