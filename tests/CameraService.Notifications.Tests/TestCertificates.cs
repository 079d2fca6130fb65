using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace CameraService.Notifications.Tests;

/// <summary>A throw-away CA, a server certificate for 127.0.0.1 and a client certificate, as PEM files.</summary>
internal sealed class TestCertificates : IDisposable
{
    private readonly DirectoryInfo _root;

    private TestCertificates(DirectoryInfo root)
    {
        _root = root;
    }

    public string CaPath => Path.Combine(_root.FullName, "ca.pem");

    public string ServerCertificatePath => Path.Combine(_root.FullName, "server.pem");

    public string ServerKeyPath => Path.Combine(_root.FullName, "server.key");

    public string ClientCertificatePath => Path.Combine(_root.FullName, "client.pem");

    public string ClientKeyPath => Path.Combine(_root.FullName, "client.key");

    public static TestCertificates Create()
    {
        var root = Directory.CreateTempSubdirectory("mqtt-certs-");
        var set = new TestCertificates(root);
        var now = DateTimeOffset.UtcNow;
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=camera-service test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(30));
        File.WriteAllText(set.CaPath, ca.ExportCertificatePem());

        Issue(ca, "CN=127.0.0.1", server: true, set.ServerCertificatePath, set.ServerKeyPath, now);
        Issue(ca, "CN=camera-service", server: false, set.ClientCertificatePath, set.ClientKeyPath, now);

        // Mosquitto started as root drops to its own user: the files must be readable by it.
        File.SetUnixFileMode(root.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        foreach (var file in root.EnumerateFiles())
        {
            File.SetUnixFileMode(file.FullName, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }

        return set;
    }

    public void Dispose() => _root.Delete(recursive: true);

    private static void Issue(X509Certificate2 ca, string subject, bool server, string certificatePath, string keyPath, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddDays(29), serial);
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
    }
}
