using System.Globalization;
using CameraService.Abstractions;
using CameraService.Abstractions.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Microsoft.Net.Http.Headers;

namespace CameraService.Plugins.WebSocket;

/// <summary>Serves the <see cref="HttpEndpoint"/>s of every <see cref="IHttpEndpointSource"/> on the transport's listener.</summary>
internal static class HttpEndpointMapper
{
    public static void MapAll(IEndpointRouteBuilder app, IEnumerable<IHttpEndpointSource> sources, string webSocketPath, ILogger logger)
    {
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "GET " + webSocketPath };
        foreach (var source in sources)
        {
            foreach (var endpoint in source.Endpoints)
            {
                var key = endpoint.Method + " " + endpoint.Pattern;
                if (!seen.Add(key))
                {
                    Log.DuplicateEndpoint(logger, endpoint.Method, endpoint.Pattern, source.GetType().FullName ?? "?");
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
                    Log.InvalidEndpoint(logger, ex, endpoint.Method, endpoint.Pattern, ex.Message);
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
            Log.EndpointFailed(logger, ex, endpoint.Method, endpoint.Pattern, requestId);
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

            case HttpFileReply file:
                if (!File.Exists(file.Path))
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
                // Content-Disposition; no need to write any of it by hand.
                var result = Results.File(
                    file.Path,
                    file.ContentType,
                    fileDownloadName: file.DownloadName,
                    lastModified: file.LastModified,
                    entityTag: file.ETag is null ? null : EntityTagHeaderValue.Parse(file.ETag),
                    enableRangeProcessing: true);
                await result.ExecuteAsync(context).ConfigureAwait(false);
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

        return new HttpRequestData(request.Method, request.Path.Value ?? "/", routeValues, query, headers, BearerToken(request));
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
}
