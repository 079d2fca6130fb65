using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace MediaMtxEmulator;

/// <summary>
/// Injected API faults for chaos runs (perf/run.sh chaos): every Control API request except the <c>/_emulator/</c>
/// side channel waits <c>delayMs</c> first, and with <c>status500</c> is answered <c>500 {"status":"error","error":…}</c>
/// (MediaMTX's error body) instead of being served. Driven by the admin endpoint:
/// <list type="bullet">
/// <item><c>POST /_emulator/faults {"delayMs": 0–60000, "status500": bool}</c> sets both (absent fields become 0/false), answers the new state;</item>
/// <item><c>GET /_emulator/faults</c> answers the current state;</item>
/// <item><c>DELETE /_emulator/faults</c> clears them.</item>
/// </list>
/// A fresh emulator (a restart) starts without faults.
/// </summary>
public sealed class Faults
{
    /// <summary>The admin path.</summary>
    public const string Path = "/_emulator/faults";

    /// <summary>The largest accepted delay (a minute; a longer one would only look like a hang to the caller).</summary>
    public const int MaxDelayMs = 60_000;

    private volatile State _state = new(0, false);

    /// <summary>Milliseconds every API request waits before it is handled.</summary>
    public int DelayMs => _state.DelayMs;

    /// <summary>Whether API requests are answered with 500.</summary>
    public bool Status500 => _state.Status500;

    /// <summary>Sets the faults directly (what <c>POST /_emulator/faults</c> does).</summary>
    public void Set(int delayMs, bool status500)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(delayMs);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayMs, MaxDelayMs);
        _state = new State(delayMs, status500);
    }

    /// <summary>The request pipeline: the admin endpoint, else the faults, else <paramref name="next"/>.</summary>
    public async Task HandleAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var path = context.Request.Path.Value ?? string.Empty;
        if (string.Equals(path, Path, StringComparison.Ordinal))
        {
            await AdminAsync(context).ConfigureAwait(false);
            return;
        }

        var state = _state;
        if (path.StartsWith("/_emulator/", StringComparison.Ordinal) || (state.DelayMs == 0 && !state.Status500))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        if (state.DelayMs > 0)
        {
            try
            {
                await Task.Delay(state.DelayMs, context.RequestAborted).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        if (state.Status500)
        {
            await WriteAsync(context, 500, new Dictionary<string, object> { ["status"] = "error", ["error"] = "injected fault (emulator /_emulator/faults status500)" }).ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task AdminAsync(HttpContext context)
    {
        switch (context.Request.Method)
        {
            case "GET":
                break;
            case "DELETE":
                _state = new State(0, false);
                break;
            case "POST":
                int delay;
                bool status500;
                try
                {
                    using var body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted).ConfigureAwait(false);
                    var root = body.RootElement;
                    if (root.ValueKind != JsonValueKind.Object)
                    {
                        throw new JsonException("the body must be a JSON object");
                    }

                    delay = root.TryGetProperty("delayMs", out var d) ? d.GetInt32() : 0;
                    status500 = root.TryGetProperty("status500", out var s) && s.GetBoolean();
                }
                catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
                {
                    await WriteAsync(context, 400, new Dictionary<string, object> { ["status"] = "error", ["error"] = "body must be {\"delayMs\": 0-60000, \"status500\": bool}: " + ex.Message }).ConfigureAwait(false);
                    return;
                }

                if (delay is < 0 or > MaxDelayMs)
                {
                    await WriteAsync(context, 400, new Dictionary<string, object> { ["status"] = "error", ["error"] = "delayMs must be between 0 and " + MaxDelayMs.ToString(CultureInfo.InvariantCulture) }).ConfigureAwait(false);
                    return;
                }

                _state = new State(delay, status500);
                break;
            default:
                await WriteAsync(context, 405, new Dictionary<string, object> { ["status"] = "error", ["error"] = "use GET, POST or DELETE" }).ConfigureAwait(false);
                return;
        }

        var state = _state;
        await WriteAsync(context, 200, new Dictionary<string, object> { ["delayMs"] = state.DelayMs, ["status500"] = state.Status500 }).ConfigureAwait(false);
    }

    private static async Task WriteAsync(HttpContext context, int status, Dictionary<string, object> body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(JsonSerializer.Serialize(body), context.RequestAborted).ConfigureAwait(false);
    }

    private sealed record State(int DelayMs, bool Status500);
}
