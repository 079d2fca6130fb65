using System.Net;
using CameraService.Abstractions;
using CameraService.Abstractions.Streaming;
using Microsoft.Extensions.Logging;

namespace CameraService.Plugins.MediaMtx;

/// <summary>
/// The MediaMTX backend's health and the guard every Control API call goes through: a call that cannot reach
/// MediaMTX turns health to Error (the reconciliation loop turns it back), and a change of state is raised as a
/// <see cref="StreamBackendEventKind.HealthChanged"/> event.
/// </summary>
internal sealed class BackendHealth(MediaMtxClient client, TimeProvider time, ILogger logger, Action<StreamBackendEventArgs> raise)
{
    private readonly Lock _gate = new();
    private ComponentStatus _status = new() { State = ComponentState.Stopped, Message = "Not started." };
    private string? _lastError;
    private DateTimeOffset? _lastErrorTime;

    public ComponentStatus Current
    {
        get
        {
            lock (_gate)
            {
                return _status;
            }
        }
    }

    /// <summary>After a reconciliation: Running, or Degraded naming the paths whose config MediaMTX refused.</summary>
    public void Reconciled(IReadOnlyCollection<string> refused)
    {
        ComponentStatus status;
        lock (_gate)
        {
            status = refused.Count == 0
                ? ComponentStatus.Running with { LastError = _lastError, LastErrorTime = _lastErrorTime }
                : new ComponentStatus { State = ComponentState.Degraded, Message = "MediaMTX refused the config of " + string.Join(", ", refused), LastError = _lastError, LastErrorTime = _lastErrorTime };
        }

        Set(status, notify: true);
    }

    public void Stopped() => Set(new ComponentStatus { State = ComponentState.Stopped, Message = "Stopped." }, notify: false);

    /// <summary>Runs a client call; a dependency failure also turns health to Error.</summary>
    /// <remarks>
    /// A 4xx other than 404 (MediaMTX understood and refused) becomes a <see cref="DependencyFailedException"/> without
    /// touching health; 404s stay <see cref="MediaMtxApiException"/> for the callers that expect them.
    /// </remarks>
    public async Task<T> Guard<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (MediaMtxApiException ex) when (ex.Status != HttpStatusCode.NotFound)
        {
            throw new DependencyFailedException("mediamtx", $"MediaMTX refused the request: {ex.Error}", ex);
        }
        catch (DependencyFailedException ex)
        {
            MarkUnreachable(ex);
            throw;
        }
    }

    public async Task Guard(Func<Task> call) => _ = await Guard(async () =>
    {
        await call().ConfigureAwait(false);
        return true;
    }).ConfigureAwait(false);

    private void MarkUnreachable(DependencyFailedException ex)
    {
        var message = ex.Detail.StartsWith("MediaMTX", StringComparison.Ordinal) ? ex.Detail : $"MediaMTX unreachable at {client.ApiUrl}: {ex.Detail}";
        DateTimeOffset now;
        lock (_gate)
        {
            now = time.GetUtcNow();
            _lastError = message;
            _lastErrorTime = now;
        }

        Set(new ComponentStatus { State = ComponentState.Error, Message = message, LastError = message, LastErrorTime = now }, notify: true);
    }

    private void Set(ComponentStatus status, bool notify)
    {
        bool changed;
        lock (_gate)
        {
            // Only a change of state is an event; the message may vary while the state holds (refused vs. suspended).
            changed = _status.State != status.State;
            _status = status;
        }

        if (changed && notify)
        {
            Log.HealthChanged(logger, status.State.ToString(), status.Message);
            raise(new StreamBackendEventArgs { Kind = StreamBackendEventKind.HealthChanged, Reason = status.Message ?? "MediaMTX reachable." });
        }
    }
}
