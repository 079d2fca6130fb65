using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace CameraService.Shared.Http;

/// <summary>
/// The one adapter between the SDK's <see cref="HttpEndpoint"/>s and ASP.NET Core: routing, the request data, the
/// contract's exceptions mapped to HTTP statuses with a JSON body, files with Range/ETag, a JSON 404 for unknown routes.
/// Compiled into the WebSocket transport (the API port) and the core (the optional health port) — neither may
/// reference the other (shared/README.md).
/// </summary>
internal static partial class HttpEndpointMapper
{
    /// <summary>Maps the endpoints of every source (those passing <paramref name="include"/>); <paramref name="reserved"/> routes (<c>GET /ws</c>) are kept for the caller.</summary>
    public static void MapAll(IEndpointRouteBuilder app, IEnumerable<IHttpEndpointSource> sources, IEnumerable<string> reserved, ILogger logger, Func<HttpEndpoint, bool>? include = null)
    {
        var seen = new HashSet<string>(reserved, StringComparer.OrdinalIgnoreCase);
        foreach (var source in sources)
        {
            foreach (var endpoint in source.Endpoints.Where(e => include?.Invoke(e) ?? true))
            {
                var key = endpoint.Method + " " + endpoint.Pattern;
                if (!seen.Add(key))
                {
                    LogDuplicateEndpoint(logger, endpoint.Method, endpoint.Pattern, source.GetType().FullName ?? "?");
                    continue;
                }

                try
                {
                    var captured = endpoint;
                    app.MapMethods(endpoint.Pattern, [endpoint.Method], context => ExecuteAsync(context, captured, logger));
                }
                catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or RoutePatternException)
                {
                    // A malformed pattern of one source must not keep the listener (and every other endpoint) down.
                    LogInvalidEndpoint(logger, ex, endpoint.Method, endpoint.Pattern, ex.Message);
                }
            }
        }

        // Unknown routes: a small JSON 404 instead of an empty body. "{*path}" (not MapFallback's default
        // "{*path:nonfile}") so that paths that look like files are covered too.
        app.Map("{*path}", static context => JsonErrors.WriteAsync(context, StatusCodes.Status404NotFound, "not_found", "No such endpoint."))
            .WithOrder(int.MaxValue);
    }

    private static async Task ExecuteAsync(HttpContext context, HttpEndpoint endpoint, ILogger logger)
    {
        HttpReply reply;
        try
        {
            reply = await endpoint.Handler(ToRequestData(context), context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away
        }
        catch (CameraServiceException ex)
        {
            var (status, error) = ex switch
            {
                ResourceNotFoundException => (StatusCodes.Status404NotFound, "not_found"),
                InvalidParameterException => (StatusCodes.Status400BadRequest, "invalid_parameter"),
                InvalidStateException => (StatusCodes.Status409Conflict, "invalid_state"),
                UnsupportedFeatureException => (StatusCodes.Status501NotImplemented, "unsupported"),
                InsufficientStorageException => (StatusCodes.Status507InsufficientStorage, "insufficient_storage"),
                _ => (StatusCodes.Status503ServiceUnavailable, "dependency_failed"),
            };

            // The contract's exception messages are written for users (no paths, no secrets).
            await JsonErrors.WriteAsync(context, status, error, ex.Message).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) // a bug in an endpoint must answer 500 without details, and be logged with an id
        {
            var requestId = context.TraceIdentifier;
            LogEndpointFailed(logger, ex, endpoint.Method, endpoint.Pattern, requestId);
            if (!context.Response.HasStarted)
            {
                await JsonErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal_error", "Internal error; request id " + requestId + ".").ConfigureAwait(false);
            }

            return;
        }

        await WriteReplyAsync(context, reply).ConfigureAwait(false);
    }

    internal static async Task WriteReplyAsync(HttpContext context, HttpReply reply)
    {
        switch (reply)
        {
            case HttpContentReply content:
                context.Response.StatusCode = content.StatusCode;
                context.Response.ContentType = content.ContentType;
                context.Response.ContentLength = content.Body.Length;
                await context.Response.Body.WriteAsync(content.Body, context.RequestAborted).ConfigureAwait(false);
                break;

            case HttpHeadersReply page:
                context.Response.StatusCode = page.StatusCode;
                foreach (var (name, value) in page.Headers)
                {
                    context.Response.Headers[name] = value;
                }

                if (page.StatusCode != StatusCodes.Status304NotModified)
                {
                    context.Response.ContentType = page.ContentType;
                    context.Response.ContentLength = page.Body.Length;
                    if (!HttpMethods.IsHead(context.Request.Method))
                    {
                        await context.Response.Body.WriteAsync(page.Body, context.RequestAborted).ConfigureAwait(false);
                    }
                }

                break;

            case HttpFileReply file:
                await using (file.Content)
                {
                    if (file.Content is null && !File.Exists(file.Path))
                    {
                        // Removed between the handler's check and now (retention, a delete call).
                        await JsonErrors.WriteAsync(context, StatusCodes.Status404NotFound, "not_found", "The file does not exist.").ConfigureAwait(false);
                        break;
                    }

                    if (file.CacheControl is not null)
                    {
                        context.Response.Headers.CacheControl = file.CacheControl;
                    }

                    // ASP.NET Core's file result does Range/206/416, If-None-Match/304, If-Modified-Since, If-Range and
                    // Content-Disposition; no need to write any of it by hand. A stream the endpoint opened (the file
                    // it checked) is served as it is, never re-opened by name.
                    var entityTag = file.ETag is null ? null : EntityTagHeaderValue.Parse(file.ETag);
                    var result = file.Content is { } content
                        ? Results.File(content, file.ContentType, file.DownloadName, file.LastModified, entityTag, enableRangeProcessing: true)
                        : Results.File(file.Path, file.ContentType, file.DownloadName, file.LastModified, entityTag, enableRangeProcessing: true);
                    await result.ExecuteAsync(context).ConfigureAwait(false);
                }

                break;

            default:
                context.Response.StatusCode = reply.StatusCode;
                break;
        }
    }

    internal static HttpRequestData ToRequestData(HttpContext context)
    {
        var request = context.Request;
        var routeValues = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.RouteValues)
        {
            if (value is not null)
            {
                routeValues[key] = Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
            }
        }

        var query = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in request.Query)
        {
            query[key] = value.Count > 0 ? value[0] ?? string.Empty : string.Empty;
        }

        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in request.Headers)
        {
            headers[key] = value.ToString();
        }

        return new HttpRequestData { Method = request.Method, Path = request.Path.Value ?? "/", RouteValues = routeValues, Query = query, Headers = headers, BearerToken = BearerToken(request) };
    }

    public static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 0)
        {
            return null;
        }

        var value = authorization[0];
        const string scheme = "Bearer ";
        if (value is null || !value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = value[scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }

    [LoggerMessage(EventId = 3112, Level = LogLevel.Error, Message = "HTTP endpoint {Method} {Pattern} failed (request {RequestId})")]
    internal static partial void LogEndpointFailed(ILogger logger, Exception exception, string method, string pattern, string requestId);

    [LoggerMessage(EventId = 3113, Level = LogLevel.Error, Message = "HTTP endpoint {Method} {Pattern} is registered twice; the one from {Source} is ignored")]
    private static partial void LogDuplicateEndpoint(ILogger logger, string method, string pattern, string source);

    [LoggerMessage(EventId = 3115, Level = LogLevel.Error, Message = "HTTP endpoint {Method} {Pattern} is invalid and is not served: {Reason}")]
    private static partial void LogInvalidEndpoint(ILogger logger, Exception exception, string method, string pattern, string reason);
}
