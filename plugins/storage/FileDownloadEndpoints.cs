using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using CameraService.Abstractions.Media;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.Storage;

/// <summary>
/// <c>GET /files/recordings/{filename}</c> and <c>GET /files/snapshots/{filename}</c>. Authorizes with
/// <c>Authorization: Bearer</c> (JWT or API key, viewer or above) or with the signed <c>?token=</c> of a
/// <c>download_url</c> (bound to <c>recordings/&lt;filename&gt;</c> or <c>snapshots/&lt;filename&gt;</c>), then
/// hands the file to the transport, which streams it with Range/206 and ETag/If-None-Match.
/// </summary>
/// <remarks>
/// Credentials are checked before the name, so an unauthenticated client learns nothing about which files
/// exist. Errors are small JSON bodies: 401 (no or invalid credentials), 403 (role too low, or a signed token
/// that is expired, tampered or made for another file), 400 (a name that breaks the naming rules or resolves
/// outside the media directory), 404 (no such file), 503 (no access control registered).
/// </remarks>
internal sealed class FileDownloadEndpoints : IHttpEndpointSource
{
    private readonly IMediaStore _store;
    private readonly IAccessControl? _accessControl;
    private readonly ILogger<FileDownloadEndpoints> _logger;

    public FileDownloadEndpoints(IMediaStore store, IAccessControl? accessControl, ILogger<FileDownloadEndpoints> logger)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _accessControl = accessControl;
        _logger = logger;
        Endpoints =
        [
            new HttpEndpoint { Method = "GET", Pattern = "/files/recordings/{filename}", Handler = (request, ct) => HandleAsync(MediaKind.Recording, request, ct) },
            new HttpEndpoint { Method = "GET", Pattern = "/files/snapshots/{filename}", Handler = (request, ct) => HandleAsync(MediaKind.Snapshot, request, ct) },
        ];
    }

    public IReadOnlyList<HttpEndpoint> Endpoints { get; }

    /// <summary>The resource string a download URL's token is bound to: <c>recordings/&lt;filename&gt;</c> or <c>snapshots/&lt;filename&gt;</c>.</summary>
    public static string ResourceOf(MediaKind kind, string fileName) =>
        (kind == MediaKind.Recording ? "recordings/" : "snapshots/") + fileName;

    internal async ValueTask<HttpReply> HandleAsync(MediaKind kind, HttpRequestData request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var fileName = request.RouteValues.GetValueOrDefault("filename") ?? string.Empty;
        if (_accessControl is null)
        {
            Log.NoAccessControl(_logger);
            return Error(kind, fileName, 503, "unavailable", "access_control_missing", "Downloads are unavailable: the service cannot check credentials.");
        }

        var denied = await AuthorizeAsync(kind, fileName, request, cancellationToken).ConfigureAwait(false);
        if (denied is not null)
        {
            return denied;
        }

        MediaFile file;
        try
        {
            file = await _store.GetAsync(kind, fileName, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidParameterException ex)
        {
            return Error(kind, fileName, 400, "invalid_filename", "invalid_filename", $"The file name is not valid: it {ex.Rule}.");
        }
        catch (ResourceNotFoundException)
        {
            return NotFound(kind, fileName);
        }

        // Serve exactly the file that was checked: every symlink resolved, the result inside the media directory, then
        // opened here without following a symlink in its last component and confirmed by the kernel's name of the
        // opened descriptor. A file (or camera directory) swapped for a symlink between the check and the open is
        // refused, never followed to a file outside (issue 17, hole 8). The transport serves the open stream.
        var kindDirectory = SafePath.RealPath(Path.GetDirectoryName(Path.GetDirectoryName(file.Path)) ?? "/");
        var resolved = kindDirectory is null ? null : SafePath.ResolveContainedFile(file.Path, kindDirectory, out _);
        if (resolved is null || Open(resolved) is not { } content)
        {
            return NotFound(kind, fileName);
        }

        return new HttpFileReply
        {
            Path = resolved,
            Content = content,
            ContentType = file.ContentType,
            DownloadName = file.FileName,
            ETag = ETagOf(file),
            LastModified = file.Modified,
            CacheControl = "private, no-cache",
        };
    }

    /// <summary>Test seam: runs between the containment check and the open, with the checked path (tests swap the file there).</summary>
    internal Action<string>? BeforeOpen { get; set; }

    private FileStream? Open(string checkedPath)
    {
        BeforeOpen?.Invoke(checkedPath);
        return SafePath.OpenNoFollow(checkedPath);
    }

    /// <summary>A strong entity tag from size and modification time: it changes whenever the bytes may have.</summary>
    internal static string ETagOf(MediaFile file) =>
        string.Create(CultureInfo.InvariantCulture, $"\"{file.Size:x}-{file.Modified.UtcTicks:x}\"");

    private async ValueTask<HttpReply?> AuthorizeAsync(MediaKind kind, string fileName, HttpRequestData request, CancellationToken cancellationToken)
    {
        AccessResult? bearer = null;
        if (!string.IsNullOrEmpty(request.BearerToken))
        {
            // With the core's scoped check a credential limited to some cameras cannot fetch another camera's file.
            bearer = _accessControl is IScopedAccessControl scoped
                ? await scoped.AuthorizeResourceAsync(request.BearerToken, ApiRole.Viewer, ResourceOf(kind, fileName), cancellationToken).ConfigureAwait(false)
                : await _accessControl!.AuthorizeAsync(request.BearerToken, ApiRole.Viewer, cancellationToken).ConfigureAwait(false);
            if (bearer is { Allowed: false, StatusCode: 404 })
            {
                return NotFound(kind, fileName);
            }

            if (bearer.Allowed)
            {
                return null;
            }
        }

        var signature = request.Query.GetValueOrDefault("token");
        if (!string.IsNullOrEmpty(signature))
        {
            if (_accessControl!.VerifyResource(ResourceOf(kind, fileName), signature))
            {
                return null;
            }

            if (bearer is null)
            {
                return Error(kind, fileName, 403, "forbidden", "invalid_signature", "The download link is expired or not valid for this file; ask for a new download_url.");
            }
        }

        if (bearer is not null)
        {
            var status = bearer.StatusCode == 403 ? 403 : 401;
            var reason = bearer.Reason ?? (status == 403 ? "insufficient_role" : "invalid_token");
            return Error(kind, fileName, status, status == 403 ? "forbidden" : "unauthorized", reason,
                status == 403 ? "The credential's role may not download files." : "The bearer token is invalid or expired.");
        }

        return Error(kind, fileName, 401, "unauthorized", "auth_required", "Send 'Authorization: Bearer <token>' or use the signed download_url.");
    }

    private HttpContentReply NotFound(MediaKind kind, string fileName) =>
        Error(kind, fileName, 404, "not_found", "not_found", $"No {(kind == MediaKind.Recording ? "recording" : "snapshot")} has this name.");

    private HttpContentReply Error(MediaKind kind, string fileName, int status, string error, string reason, string message)
    {
        Log.DownloadRefused(_logger, kind, fileName, status, reason);
        var body = JsonSerializer.SerializeToUtf8Bytes(new DownloadError(status, error, reason, message), DownloadJsonContext.Default.DownloadError);
        return new HttpContentReply { StatusCode = status, ContentType = "application/json", Body = body };
    }
}

/// <summary>The JSON body of a refused download.</summary>
/// <param name="Status">The HTTP status code.</param>
/// <param name="Error">A short error name (<c>unauthorized</c>, <c>forbidden</c>, <c>not_found</c>, …).</param>
/// <param name="Reason">A machine-readable reason (<c>auth_required</c>, <c>invalid_signature</c>, …).</param>
/// <param name="Message">What the client can do.</param>
internal sealed record DownloadError(int Status, string Error, string Reason, string Message);

/// <summary>Source-generated JSON for download errors (snake_case).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DownloadError))]
internal sealed partial class DownloadJsonContext : JsonSerializerContext;
