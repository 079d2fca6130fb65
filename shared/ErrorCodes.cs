// The error codes of the API contract (api-contract.md §3), written once and compiled into both sides of the wire:
// the core (CameraService.Core.Rpc.RpcErrorCodes, internal) and the .NET client (CameraService.Client.ErrorCodes,
// public), so that the two cannot drift. The client project defines CAMERA_SERVICE_CLIENT.
#if CAMERA_SERVICE_CLIENT
namespace CameraService.Client;

/// <summary>The error codes of the camera-service API (api-contract.md §3).</summary>
public static partial class ErrorCodes
#else
namespace CameraService.Core.Rpc;

/// <summary>The error codes and fixed messages of the API contract (api-contract.md §3).</summary>
internal static partial class RpcErrorCodes
#endif
{
    /// <summary>The body was not JSON.</summary>
    public const int ParseError = -32700;

    /// <summary>Bad envelope, empty or too long batch.</summary>
    public const int InvalidRequest = -32600;

    /// <summary>Unknown method.</summary>
    public const int MethodNotFound = -32601;

    /// <summary>A parameter is missing, wrong or unknown.</summary>
    public const int InvalidParams = -32602;

    /// <summary>A server bug (logged there with the request id).</summary>
    public const int InternalError = -32603;

    /// <summary>No, invalid or expired credentials.</summary>
    public const int AuthenticationFailed = -32001;

    /// <summary>Role too low.</summary>
    public const int PermissionDenied = -32002;

    /// <summary>Camera, file or stream does not exist.</summary>
    public const int NotFound = -32010;

    /// <summary>Already recording, not recording, camera disconnected, ….</summary>
    public const int InvalidState = -32020;

    /// <summary>Feature not offered by the active plugins.</summary>
    public const int Unsupported = -32030;

    /// <summary>Rate limit hit.</summary>
    public const int RateLimited = -32040;

    /// <summary>MediaMTX, ffmpeg or a device failed.</summary>
    public const int DependencyFailed = -32050;

    /// <summary>Free space below the block threshold.</summary>
    public const int InsufficientStorage = -32060;
}
