using System.Text.Json;
using CameraService.Abstractions;
using CameraService.Core.Auth;

namespace CameraService.Core.Rpc;

/// <summary>The fixed messages of the contract's error codes (the codes: shared/ErrorCodes.cs).</summary>
internal static partial class RpcErrorCodes
{
    public static string Message(int code) => code switch
    {
        ParseError => "Parse error",
        InvalidRequest => "Invalid Request",
        MethodNotFound => "Method not found",
        InvalidParams => "Invalid params",
        InternalError => "Internal error",
        AuthenticationFailed => "Authentication failed or token expired",
        PermissionDenied => "Permission denied",
        NotFound => "Not found",
        InvalidState => "Invalid state",
        Unsupported => "Unsupported",
        RateLimited => "Rate limited",
        DependencyFailed => "Dependency failed",
        InsufficientStorage => "Insufficient storage",
        _ => "Error",
    };

    /// <summary>Every code with its message, for the OpenRPC document.</summary>
    public static IReadOnlyList<int> All { get; } =
    [
        ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError, AuthenticationFailed, PermissionDenied,
        NotFound, InvalidState, Unsupported, RateLimited, DependencyFailed, InsufficientStorage,
    ];
}

/// <summary>
/// An error answer of the contract. Method handlers throw it (or one of the abstractions'
/// <see cref="CameraService.Abstractions.CameraServiceException"/> types) to answer with an error.
/// </summary>
internal sealed class RpcErrorException : Exception
{
    private readonly KeyValuePair<string, object?>[] _data;

    /// <summary>Creates the error; <paramref name="data"/> values are strings, numbers, booleans, null or string lists.</summary>
    public RpcErrorException(int code, params KeyValuePair<string, object?>[] data)
        : base(RpcErrorCodes.Message(code))
    {
        Code = code;
        _data = data;
    }

    public int Code { get; }

    /// <summary>One member of <c>data</c>.</summary>
    public static KeyValuePair<string, object?> Item(string key, object? value) => new(key, value);

    /// <summary>The contract error of an SDK exception (a plugin's expected failure), or null for another kind.</summary>
    public static RpcErrorException? FromSdk(CameraServiceException ex) => ex switch
    {
        ResourceNotFoundException e => new RpcErrorException(RpcErrorCodes.NotFound, RpcErrorException.Item("resource", e.Resource), RpcErrorException.Item("id", e.Id), RpcErrorException.Item("message", e.Message)),
        InvalidStateException e => new RpcErrorException(RpcErrorCodes.InvalidState, RpcErrorException.Item("reason", e.Reason), RpcErrorException.Item("state", e.State), RpcErrorException.Item("message", e.Message)),
        UnsupportedFeatureException e => new RpcErrorException(RpcErrorCodes.Unsupported, RpcErrorException.Item("feature", e.Feature), RpcErrorException.Item("message", e.Message)),
        DependencyFailedException e => new RpcErrorException(RpcErrorCodes.DependencyFailed, RpcErrorException.Item("dependency", e.Dependency), RpcErrorException.Item("detail", ErrorDetail.Redact(e.Detail))),
        InsufficientStorageException e => new RpcErrorException(RpcErrorCodes.InsufficientStorage, RpcErrorException.Item("available_bytes", e.AvailableBytes), RpcErrorException.Item("threshold_percent", e.ThresholdPercent)),
        InvalidParameterException e => RpcErrorException.InvalidParams(e.Param, e.Rule),
        _ => null,
    };

    public IReadOnlyList<KeyValuePair<string, object?>> ErrorData => _data;

    public static RpcErrorException InvalidParams(string? param, string rule) =>
        new(RpcErrorCodes.InvalidParams, RpcErrorException.Item("param", param), RpcErrorException.Item("rule", rule));

    public static RpcErrorException InvalidRequest(string reason) =>
        new(RpcErrorCodes.InvalidRequest, RpcErrorException.Item("reason", reason));

    public static RpcErrorException AuthFailed(string reason) =>
        new(RpcErrorCodes.AuthenticationFailed, RpcErrorException.Item("reason", reason));

    public static RpcErrorException NotFound(string resource, string id) =>
        new(RpcErrorCodes.NotFound, RpcErrorException.Item("resource", resource), RpcErrorException.Item("id", id));

    /// <summary>Writes the <c>data</c> object's members.</summary>
    public void WriteData(Utf8JsonWriter writer)
    {
        foreach (var (key, value) in _data)
        {
            writer.WritePropertyName(key);
            RpcJson.WriteSimpleValue(writer, value);
        }
    }
}
