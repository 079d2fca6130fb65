using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CameraService.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace CameraService.Plugins.MediaMtx;

/// <summary>MediaMTX answered with a 4xx: the request was understood and refused (not a dependency failure).</summary>
internal sealed class MediaMtxApiException(HttpStatusCode status, string error)
    : Exception($"MediaMTX answered {(int)status}: {error}")
{
    public HttpStatusCode Status { get; } = status;

    public string Error { get; } = error;
}

/// <summary>A transient failure (connection, timeout, 5xx): counted by the circuit breaker and retried when idempotent.</summary>
internal sealed class MediaMtxTransientException(string detail, Exception? inner = null, string reason = "unreachable") : Exception(detail, inner)
{
    /// <summary>The failure label of <c>camera_service_mediamtx_request_failures_total</c>: unreachable or http_5xx.</summary>
    public string Reason { get; } = reason;
}

internal sealed record MtxInfo(string? Version, DateTimeOffset? Started);

internal sealed record MtxList<T>(int ItemCount, int PageCount, IReadOnlyList<T> Items);

internal sealed record MtxSource(string? Type, string? Id);

internal sealed record MtxReader(string? Type, string? Id);

internal sealed record MtxPath(
    string Name,
    string? ConfName,
    MtxSource? Source,
    bool Ready,
    DateTimeOffset? ReadyTime,
    bool? Available,
    IReadOnlyList<MtxReader>? Readers,
    IReadOnlyList<string>? Tracks,
    long? BytesSent,
    long? OutboundBytes,
    long? BytesReceived,
    long? InboundBytes);

internal sealed record MtxSegment(string Start);

internal sealed record MtxRecording(string Name, IReadOnlyList<MtxSegment> Segments);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MtxInfo))]
[JsonSerializable(typeof(MtxPath))]
[JsonSerializable(typeof(MtxList<MtxPath>))]
[JsonSerializable(typeof(MtxList<JsonObject>))]
[JsonSerializable(typeof(MtxRecording))]
[JsonSerializable(typeof(MtxList<MtxRecording>))]
[JsonSerializable(typeof(JsonObject))]
internal sealed partial class MtxJsonContext : JsonSerializerContext;

/// <summary>
/// Typed client of the MediaMTX Control API v3. Tolerates both success shapes (<c>{"status":"ok"}</c> and the empty
/// 200 of servers before v1.15.5) and both error shapes. Every call runs through a Polly pipeline: per-attempt
/// timeout, retries for idempotent calls only, and a circuit breaker shared by all calls so that while MediaMTX is
/// down calls fail at once with <see cref="DependencyFailedException"/>; a trial call after the break closes it again.
/// </summary>
internal sealed class MediaMtxClient
{
    public const string HttpClientName = "mediamtx";

    private readonly IHttpClientFactory _factory;
    private readonly MediaMtxOptions _options;
    private readonly ILogger<MediaMtxClient> _logger;
    private readonly ResiliencePipeline _idempotent;
    private readonly ResiliencePipeline _once;
    private readonly TimeProvider _time;
    private readonly MediaMtxMetrics? _metrics;

    public MediaMtxClient(IHttpClientFactory factory, IOptions<MediaMtxOptions> options, TimeProvider timeProvider, ILogger<MediaMtxClient> logger, MediaMtxMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _time = timeProvider;
        _metrics = metrics;
        _factory = factory;
        _options = options.Value;
        _logger = logger;
        var breaker = new CircuitBreakerStrategyOptions
        {
            FailureRatio = 0.5,
            MinimumThroughput = _options.CircuitMinimumThroughput,
            SamplingDuration = _options.CircuitSamplingDuration,
            BreakDuration = _options.CircuitBreakDuration,
            ShouldHandle = new PredicateBuilder().Handle<MediaMtxTransientException>().Handle<TimeoutRejectedException>(),
            OnOpened = a =>
            {
                Log.CircuitOpened(_logger, _options.ApiUrl, a.BreakDuration);
                _metrics?.CircuitChanged(2);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                Log.CircuitClosed(_logger, _options.ApiUrl);
                _metrics?.CircuitChanged(0);
                return ValueTask.CompletedTask;
            },
            OnHalfOpened = _ =>
            {
                _metrics?.CircuitChanged(1);
                return ValueTask.CompletedTask;
            },
        };
        var timeout = new TimeoutStrategyOptions { Timeout = _options.RequestTimeout };

        // One breaker instance (manual state provider not needed): both pipelines share it through a shared builder product.
        var breakerPipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddCircuitBreaker(breaker).Build();
        var timeoutPipeline = new ResiliencePipelineBuilder { TimeProvider = timeProvider }.AddTimeout(timeout).Build();
        _once = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddPipeline(breakerPipeline)
            .AddPipeline(timeoutPipeline)
            .Build();
        _idempotent = new ResiliencePipelineBuilder { TimeProvider = timeProvider }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = Math.Max(1, _options.RetryCount),
                Delay = _options.RetryDelay,
                BackoffType = DelayBackoffType.Exponential,
                ShouldHandle = new PredicateBuilder().Handle<MediaMtxTransientException>().Handle<TimeoutRejectedException>(),
            })
            .AddPipeline(breakerPipeline)
            .AddPipeline(timeoutPipeline)
            .Build();
        if (_options.RetryCount == 0)
        {
            _idempotent = _once;
        }
    }

    public Uri ApiUrl => _options.ApiUrl;

    /// <summary>Version and start time; both null on servers before v1.16 (no /v3/info: plain 404).</summary>
    public async Task<MtxInfo> GetInfoAsync(CancellationToken ct)
    {
        try
        {
            return await GetAsync("/v3/info", MtxJsonContext.Default.MtxInfo, ct).ConfigureAwait(false) ?? new MtxInfo(null, null);
        }
        catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return new MtxInfo(null, null);
        }
    }

    public Task<JsonObject?> GetGlobalConfigAsync(CancellationToken ct) => GetAsync("/v3/config/global/get", MtxJsonContext.Default.JsonObject, ct);

    /// <summary>All configured paths (every page).</summary>
    public async Task<IReadOnlyList<JsonObject>> ListPathConfigsAsync(CancellationToken ct)
    {
        var all = new List<JsonObject>();
        for (var page = 0; ; page++)
        {
            var list = await GetAsync($"/v3/config/paths/list?itemsPerPage=100&page={page}", MtxJsonContext.Default.MtxListJsonObject, ct).ConfigureAwait(false);
            if (list is null)
            {
                return all;
            }

            all.AddRange(list.Items);
            if (page + 1 >= list.PageCount)
            {
                return all;
            }
        }
    }

    /// <summary>A path's effective config, or null when it is not configured (404).</summary>
    public async Task<JsonObject?> GetPathConfigAsync(string name, CancellationToken ct)
    {
        try
        {
            return await GetAsync("/v3/config/paths/get/" + Escape(name), MtxJsonContext.Default.JsonObject, ct).ConfigureAwait(false);
        }
        catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public Task AddPathAsync(string name, JsonObject conf, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/v3/config/paths/add/" + Escape(name), conf, idempotent: false, ct);

    public Task PatchPathAsync(string name, JsonObject conf, CancellationToken ct) =>
        SendAsync(HttpMethod.Patch, "/v3/config/paths/patch/" + Escape(name), conf, idempotent: false, ct);

    /// <summary>Upsert (the real server creates a missing path on replace): safe to retry.</summary>
    public Task ReplacePathAsync(string name, JsonObject conf, CancellationToken ct) =>
        SendAsync(HttpMethod.Post, "/v3/config/paths/replace/" + Escape(name), conf, idempotent: true, ct);

    /// <summary>Deletes a path config; false when it did not exist.</summary>
    public async Task<bool> DeletePathAsync(string name, CancellationToken ct)
    {
        try
        {
            await SendAsync(HttpMethod.Delete, "/v3/config/paths/delete/" + Escape(name), null, idempotent: true, ct).ConfigureAwait(false);
            return true;
        }
        catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    /// <summary>The runtime path, or null when it does not exist (404).</summary>
    public async Task<MtxPath?> GetPathAsync(string name, CancellationToken ct)
    {
        try
        {
            return await GetAsync("/v3/paths/get/" + Escape(name), MtxJsonContext.Default.MtxPath, ct).ConfigureAwait(false);
        }
        catch (MediaMtxApiException ex) when (ex.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<MtxPath>> ListPathsAsync(CancellationToken ct)
    {
        var all = new List<MtxPath>();
        for (var page = 0; ; page++)
        {
            var list = await GetAsync($"/v3/paths/list?itemsPerPage=100&page={page}", MtxJsonContext.Default.MtxListMtxPath, ct).ConfigureAwait(false);
            if (list is null)
            {
                return all;
            }

            all.AddRange(list.Items);
            if (page + 1 >= list.PageCount)
            {
                return all;
            }
        }
    }

    /// <summary>Segments of one path; null when MediaMTX does not know the path (400/404).</summary>
    public async Task<MtxRecording?> GetRecordingAsync(string name, CancellationToken ct)
    {
        try
        {
            return await GetAsync("/v3/recordings/get/" + Escape(name), MtxJsonContext.Default.MtxRecording, ct).ConfigureAwait(false);
        }
        catch (MediaMtxApiException ex) when (ex.Status is HttpStatusCode.NotFound or HttpStatusCode.BadRequest)
        {
            return null;
        }
    }

    public async Task<IReadOnlyList<MtxRecording>> ListRecordingsAsync(CancellationToken ct)
    {
        var list = await GetAsync("/v3/recordings/list?itemsPerPage=1000", MtxJsonContext.Default.MtxListMtxRecording, ct).ConfigureAwait(false);
        return list?.Items ?? [];
    }

    /// <summary>Deletes one segment; <paramref name="start"/> must be passed verbatim as recordings/get gave it.</summary>
    public Task DeleteSegmentAsync(string path, string start, CancellationToken ct) =>
        SendAsync(HttpMethod.Delete, $"/v3/recordings/deletesegment?path={Uri.EscapeDataString(path)}&start={Uri.EscapeDataString(start)}", null, idempotent: false, ct);

    private static string Escape(string name) => string.Join('/', name.Split('/').Select(Uri.EscapeDataString));

    private async Task<T?> GetAsync<T>(string path, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken ct)
    {
        var body = await ExecuteAsync(HttpMethod.Get, path, null, idempotent: true, ct).ConfigureAwait(false);
        if (body.Length == 0)
        {
            return default;
        }

        try
        {
            return JsonSerializer.Deserialize(body, type);
        }
        catch (JsonException ex)
        {
            throw new DependencyFailedException("mediamtx", $"MediaMTX at {_options.ApiUrl} sent an unreadable answer to {path}.", ex);
        }
    }

    private async Task SendAsync(HttpMethod method, string path, JsonObject? body, bool idempotent, CancellationToken ct) =>
        _ = await ExecuteAsync(method, path, body, idempotent, ct).ConfigureAwait(false);

    private async Task<byte[]> ExecuteAsync(HttpMethod method, string path, JsonObject? body, bool idempotent, CancellationToken ct)
    {
        var payload = body is null ? null : JsonSerializer.SerializeToUtf8Bytes(body, MtxJsonContext.Default.JsonObject);
        try
        {
            return await (idempotent ? _idempotent : _once).ExecuteAsync(
                async token => await AttemptAsync(method, path, payload, token).ConfigureAwait(false), ct).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            _metrics?.Failed(path, "circuit_open");
            throw new DependencyFailedException("mediamtx", $"MediaMTX unreachable at {_options.ApiUrl}: calls suspended after repeated failures, retrying shortly.", ex);
        }
        catch (TimeoutRejectedException ex)
        {
            throw new DependencyFailedException("mediamtx", $"MediaMTX unreachable at {_options.ApiUrl}: no answer within {_options.RequestTimeout.TotalSeconds:0.#} s.", ex);
        }
        catch (MediaMtxTransientException ex)
        {
            throw new DependencyFailedException("mediamtx", $"MediaMTX unreachable at {_options.ApiUrl}: {ex.Message}", ex);
        }
    }

    private async ValueTask<byte[]> AttemptAsync(HttpMethod method, string path, byte[]? payload, CancellationToken ct)
    {
        var started = _time.GetTimestamp();
        string? failure = "unreachable";
        try
        {
            var bytes = await SendOnceAsync(method, path, payload, ct).ConfigureAwait(false);
            failure = null;
            return bytes;
        }
        catch (MediaMtxApiException ex)
        {
            // A 404 is an answer (the path or recording does not exist), which callers expect; other 4xx are failures.
            failure = ex.Status == HttpStatusCode.NotFound ? null : "http_4xx";
            throw;
        }
        catch (MediaMtxTransientException ex)
        {
            failure = ex.Reason;
            throw;
        }
        catch (DependencyFailedException)
        {
            failure = "http_4xx";
            throw;
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the pipeline's timeout (its token) or the caller: a timeout from the API's point of view.
            failure = "timeout";
            throw;
        }
        finally
        {
            _metrics?.Attempt(method.Method, path, _time.GetElapsedTime(started), failure);
        }
    }

    private async ValueTask<byte[]> SendOnceAsync(HttpMethod method, string path, byte[]? payload, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, new Uri(_options.ApiUrl, path));
        if (payload != null)
        {
            request.Content = new ByteArrayContent(payload);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }

        if (!string.IsNullOrEmpty(_options.Token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.Token);
        }
        else if (!string.IsNullOrEmpty(_options.Username))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue(
                "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(_options.Username + ":" + _options.Password)));
        }

        var client = _factory.CreateClient(HttpClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new MediaMtxTransientException(ex.InnerException?.Message ?? ex.Message, ex);
        }
        catch (IOException ex)
        {
            throw new MediaMtxTransientException(ex.Message, ex);
        }

        using (response)
        {
            byte[] bytes;
            try
            {
                bytes = await response.Content.ReadAsByteArrayAsync(ct).ConfigureAwait(false);
            }
            catch (HttpRequestException ex)
            {
                throw new MediaMtxTransientException(ex.Message, ex);
            }

            if (response.IsSuccessStatusCode)
            {
                return bytes;
            }

            var error = ReadError(bytes) ?? response.ReasonPhrase ?? "no detail";
            if ((int)response.StatusCode >= 500)
            {
                throw new MediaMtxTransientException($"{method} {path} answered {(int)response.StatusCode}: {error}", reason: "http_5xx");
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized)
            {
                throw new DependencyFailedException("mediamtx", $"MediaMTX at {_options.ApiUrl} refused the credentials (401); set Plugins:MediaMtx:Username/Password or Token to a user with the 'api' permission.");
            }

            throw new MediaMtxApiException(response.StatusCode, error);
        }
    }

    /// <summary>Reads <c>{"status":"error","error":…}</c> (or the older <c>{"error":…}</c>); plain-text 404s give their text.</summary>
    private static string? ReadError(byte[] bytes)
    {
        if (bytes.Length == 0)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String)
            {
                return e.GetString();
            }
        }
        catch (JsonException)
        {
            // Not JSON: gin's plain-text "404 page not found" (route missing in this server version or config).
        }

        return Encoding.UTF8.GetString(bytes, 0, Math.Min(bytes.Length, 200)).Trim();
    }
}
