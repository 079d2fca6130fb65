using System.Text.Json;

namespace CameraService.Client;

/// <summary>An error answer of the service: the contract's code, message and data.</summary>
public class CameraServiceApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public CameraServiceApiException(string method, int code, string message, JsonElement? data)
        : base(Describe(method, code, message, data))
    {
        Method = method;
        Code = code;
        ServerMessage = message;
        Data = data;
    }

    /// <summary>The method that failed.</summary>
    public string Method { get; }

    /// <summary>The contract's error code (<see cref="ErrorCodes"/>).</summary>
    public int Code { get; }

    /// <summary>The server's fixed message for the code.</summary>
    public string ServerMessage { get; }

    /// <summary>The error's <c>data</c> object, if any.</summary>
    public new JsonElement? Data { get; }

    /// <summary>A string member of <see cref="Data"/>, or null.</summary>
    public string? DataString(string name) =>
        Data is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Creates the most specific exception type for a code.</summary>
    public static CameraServiceApiException Create(string method, int code, string message, JsonElement? data) => code switch
    {
        ErrorCodes.AuthenticationFailed => new AuthenticationFailedException(method, message, data),
        ErrorCodes.PermissionDenied => new PermissionDeniedException(method, message, data),
        ErrorCodes.NotFound => new NotFoundException(method, message, data),
        ErrorCodes.InvalidState => new InvalidStateException(method, message, data),
        ErrorCodes.InvalidParams => new InvalidParamsException(method, message, data),
        ErrorCodes.RateLimited => new RateLimitedException(method, message, data),
        ErrorCodes.DependencyFailed => new DependencyFailedException(method, message, data),
        ErrorCodes.InsufficientStorage => new InsufficientStorageException(method, message, data),
        _ => new CameraServiceApiException(method, code, message, data),
    };

    private static string Describe(string method, int code, string message, JsonElement? data)
    {
        var detail = data is { ValueKind: JsonValueKind.Object } d ? " " + d.GetRawText() : string.Empty;
        return $"{method} failed: {message} ({code}){detail}";
    }
}

/// <summary>-32001: no, invalid or expired credentials; <c>data.reason</c> says which.</summary>
public sealed class AuthenticationFailedException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.AuthenticationFailed, message, data);

/// <summary>-32002: the token's role is too low; <c>data.required_role</c>.</summary>
public sealed class PermissionDeniedException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.PermissionDenied, message, data);

/// <summary>-32010: camera, file or stream does not exist.</summary>
public sealed class NotFoundException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.NotFound, message, data);

/// <summary>-32020: the operation does not fit the state (already recording, camera disconnected, …).</summary>
public sealed class InvalidStateException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.InvalidState, message, data);

/// <summary>-32602: a parameter is wrong; <c>data.param</c> and <c>data.rule</c>.</summary>
public sealed class InvalidParamsException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.InvalidParams, message, data);

/// <summary>-32040: rate limited; retry after <see cref="RetryAfter"/>.</summary>
public sealed class RateLimitedException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.RateLimited, message, data)
{
    /// <summary>How long to wait before retrying.</summary>
    public TimeSpan RetryAfter =>
        Data is { ValueKind: JsonValueKind.Object } d && d.TryGetProperty("retry_after_ms", out var v) && v.TryGetDouble(out var ms)
            ? TimeSpan.FromMilliseconds(ms)
            : TimeSpan.FromSeconds(1);
}

/// <summary>-32050: MediaMTX, ffmpeg or a device failed or is unreachable.</summary>
public sealed class DependencyFailedException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.DependencyFailed, message, data);

/// <summary>-32060: storage above the block threshold.</summary>
public sealed class InsufficientStorageException(string method, string message, JsonElement? data)
    : CameraServiceApiException(method, ErrorCodes.InsufficientStorage, message, data);

/// <summary>The service did not answer within the request timeout, or the connection was lost before it answered.</summary>
public sealed class CameraServiceConnectionException(string message, Exception? inner = null) : Exception(message, inner);
