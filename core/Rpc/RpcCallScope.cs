using System.Text.Json;

namespace CameraService.Core.Rpc;

/// <summary>
/// The logging scope of one call. The request id is read only when a log line is written, so calls that log
/// nothing do not pay for it; the JSON-RPC id is copied as raw text (it is the client's, never a credential).
/// </summary>
internal sealed class RpcCallScope(RpcCallContext context, string method, JsonElement rpcId) : IReadOnlyList<KeyValuePair<string, object?>>
{
    private readonly string? _rpcId = rpcId.ValueKind is JsonValueKind.String or JsonValueKind.Number ? rpcId.ToString() : null;

    public int Count => _rpcId is null ? 3 : 4;

    public KeyValuePair<string, object?> this[int index] => index switch
    {
        0 => new("SessionId", context.Session.SessionId),
        1 => new("RequestId", context.RequestId),
        2 => new("Method", method),
        3 when _rpcId is not null => new("RpcId", _rpcId),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
    {
        for (var i = 0; i < Count; i++)
        {
            yield return this[i];
        }
    }

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public override string ToString() => $"session {context.Session.SessionId} request {context.RequestId} {method}";
}
