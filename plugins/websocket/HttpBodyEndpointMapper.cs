using CameraService.Abstractions.Api;
using CameraService.Shared.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.WebSocket;

/// <summary>Serves the <see cref="HttpBodyEndpoint"/>s (endpoints that read a bounded request body, e.g. <c>POST /mediamtx/auth</c>).</summary>
internal static class HttpBodyEndpointMapper
{
    public static void MapAll(IEndpointRouteBuilder app, IEnumerable<IHttpBodyEndpointSource> sources, ILogger logger)
    {
        foreach (var endpoint in sources.SelectMany(s => s.BodyEndpoints))
        {
            var captured = endpoint;
            app.MapMethods(endpoint.Pattern, [endpoint.Method], context => ExecuteAsync(context, captured, logger));
        }
    }

    private static async Task ExecuteAsync(HttpContext context, HttpBodyEndpoint endpoint, ILogger logger)
    {
        if (context.Request.ContentLength > endpoint.MaxBodyBytes)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large", "The request body is too large.").ConfigureAwait(false);
            return;
        }

        // Read at most MaxBodyBytes + 1: one byte more tells that a chunked body is too large.
        var buffer = new byte[Math.Min(endpoint.MaxBodyBytes + 1, 64 * 1024)];
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length > endpoint.MaxBodyBytes)
                    {
                        await JsonErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large", "The request body is too large.").ConfigureAwait(false);
                        return;
                    }

                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, endpoint.MaxBodyBytes + 1));
                }

                var read = await context.Request.Body.ReadAsync(buffer.AsMemory(length), context.RequestAborted).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                length += read;
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (IOException)
        {
            return; // the client went away mid-body
        }

        if (length > endpoint.MaxBodyBytes)
        {
            await JsonErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "body_too_large", "The request body is too large.").ConfigureAwait(false);
            return;
        }

        HttpReply reply;
        try
        {
            reply = await endpoint.Handler(HttpEndpointMapper.ToRequestData(context), buffer.AsMemory(0, length), context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) // a bug in an endpoint must answer 500 without details, and be logged with an id
        {
            HttpEndpointMapper.LogEndpointFailed(logger, ex, endpoint.Method, endpoint.Pattern, context.TraceIdentifier);
            await JsonErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal_error", "Internal error; request id " + context.TraceIdentifier + ".").ConfigureAwait(false);
            return;
        }

        await HttpEndpointMapper.WriteReplyAsync(context, reply).ConfigureAwait(false);
    }
}
