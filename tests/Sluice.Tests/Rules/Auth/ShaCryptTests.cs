using System.Text;
using Sluice.Rules.Auth;

namespace Sluice.Tests.Rules.Auth;

/// <summary>Hashes made by `openssl passwd -5/-6` and by glibc's crypt(3) (python's crypt module), checked both ways.</summary>
public class ShaCryptTests
{
    [Theory]
    [InlineData("secret", "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1")]
    [InlineData("secret", "$5$abc$qsg6EHbUzHQzF1POlD7zUwBINSELQxypPaeDcZe6vH0")]
    [InlineData("a much longer password than the digest size of sha512 for sure, yes indeed it is longer", "$6$longsaltlongsalt$OyqVv8U/rs3S9XrATNpxPFCin7/ODj/oZ9O8Q0rIIDnWupeWWO47s55KFEk6vr2U186D3zzxYR5058n7B7pPW0")]
    [InlineData("secret", "$6$rounds=1000$saltsalt$LAV5VE5Y7w1d73x1mFNspYWUpazfmwv2SoepNXNKJ/otop/Zok96Hr8Q13LEv0DRY/x8v0/crpIjl8NJSAqXV/")]
    [InlineData("secret", "$5$rounds=12345$xyz$vzGo/YE4Y.qp8Dli1pZAlvdTuszHHi7F7tolP.8jEE8")]
    public void KnownHashes_Verify(string password, string hash)
    {
        Assert.Equal(hash, ShaCrypt.Compute(Encoding.UTF8.GetBytes(password), hash));
        Assert.True(ShaCrypt.Verify(Encoding.UTF8.GetBytes(password), hash));
        Assert.False(ShaCrypt.Verify(Encoding.UTF8.GetBytes(password + "x"), hash));
    }

    [Theory]
    [InlineData("$1$abc$xyz")]
    [InlineData("$2b$10$abcdefghijklmnopqrstuv")]
    [InlineData("plaintext")]
    public void OtherSchemes_NotSupported(string hash)
    {
        Assert.False(ShaCrypt.IsSupported(hash));
        Assert.False(ShaCrypt.Verify("x"u8, hash));
    }
}
