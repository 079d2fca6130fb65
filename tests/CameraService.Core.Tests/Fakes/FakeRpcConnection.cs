using System.Text.Json;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Tests.Fakes;

/// <summary>The transport's side of a connection: records notifications; can play a slow consumer whose queue is full.</summary>
internal sealed class FakeRpcConnection(string? initialCredential = null) : IRpcConnection
{
    private readonly Lock _gate = new();
    private readonly List<string> _notifications = [];

    public string ConnectionId { get; } = Guid.NewGuid().ToString("N");

    public string? RemoteAddress => "127.0.0.1";

    public string? InitialCredential { get; } = initialCredential;

    /// <summary>False simulates a full outbound queue.</summary>
    public bool QueueHasRoom { get; set; } = true;

    public string? ClosedReason { get; private set; }

    public IReadOnlyList<string> Notifications
    {
        get
        {
            lock (_gate)
            {
                return [.. _notifications];
            }
        }
    }

    /// <summary>The notifications as parsed JSON (method, params).</summary>
    public IReadOnlyList<JsonElement> Parsed => [.. Notifications.Select(n => JsonDocument.Parse(n).RootElement.Clone())];

    public bool TrySendNotification(ReadOnlySpan<byte> utf8Message)
    {
        if (!QueueHasRoom)
        {
            return false;
        }

        var copy = System.Text.Encoding.UTF8.GetString(utf8Message);
        lock (_gate)
        {
            _notifications.Add(copy);
        }

        return true;
    }

    public void Close(string reason) => ClosedReason = reason;

    public void Clear()
    {
        lock (_gate)
        {
            _notifications.Clear();
        }
    }
}
