using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using CameraService.Abstractions.Api;

namespace CameraService.Core.Auth;

/// <summary>
/// The service's own media-server credential (<see cref="IServiceCredentials"/>): user <c>camera-service</c>, password
/// derived from the JWT secret with HMAC, so the service, its command line and a restart all agree without storing
/// it, and rotating the secret rotates it.
/// </summary>
internal sealed class ServiceCredentials : IServiceCredentials
{
    public const string ServiceUser = "camera-service";

    private readonly byte[] _password;

    public ServiceCredentials(JwtSecret secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        Password = Base64Url.EncodeToString(HMACSHA256.HashData(secret.Key, "camera-service media server credential v1"u8));
        _password = Encoding.UTF8.GetBytes(Password);
    }

    public string User => ServiceUser;

    public string Password { get; }

    /// <summary>Whether a user/password pair is this credential (constant time in the password).</summary>
    public bool Matches(string? user, string? password) =>
        string.Equals(user, ServiceUser, StringComparison.Ordinal)
        && password is not null
        && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(password), _password);
}
