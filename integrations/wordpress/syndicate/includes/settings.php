<?php
/**
 * Settings → Syndicate: the service's address, the webhook secret, the post types sent, and a
 * button that sends a signed ping to check both.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

add_action( 'admin_menu', 'syndicate_admin_menu' );
add_action( 'admin_init', 'syndicate_register_settings' );
add_action( 'admin_post_syndicate_test', 'syndicate_test_connection' );

/** The service's base address, without a trailing slash. */
function syndicate_base_url() {
	$url = defined( 'SYNDICATE_URL' ) ? SYNDICATE_URL : get_option( 'syndicate_url', '' );
	$url = untrailingslashit( (string) $url );
	// Earlier versions took the hook's own address.
	return preg_replace( '#/hooks/wordpress$#', '', $url );
}

function syndicate_hook_url() {
	$base = syndicate_base_url();
	return '' === $base ? '' : $base . '/hooks/wordpress';
}

function syndicate_secret() {
	return (string) ( defined( 'SYNDICATE_SECRET' ) ? SYNDICATE_SECRET : get_option( 'syndicate_secret', '' ) );
}

function syndicate_post_types() {
	$types = get_option( 'syndicate_post_types', array( 'post' ) );
	return is_array( $types ) && $types ? array_values( $types ) : array( 'post' );
}

function syndicate_admin_menu() {
	add_options_page( 'Syndicate', 'Syndicate', 'manage_options', 'syndicate', 'syndicate_settings_page' );
}

function syndicate_register_settings() {
	register_setting(
		'syndicate',
		'syndicate_url',
		array(
			'type'              => 'string',
			'sanitize_callback' => 'esc_url_raw',
		)
	);
	register_setting(
		'syndicate',
		'syndicate_secret',
		array(
			'type'              => 'string',
			'sanitize_callback' => 'syndicate_keep_secret',
		)
	);
	register_setting(
		'syndicate',
		'syndicate_post_types',
		array(
			'type'              => 'array',
			'sanitize_callback' => 'syndicate_clean_post_types',
		)
	);
}

/** An empty field keeps the stored secret: the page never shows it back. */
function syndicate_keep_secret( $value ) {
	$value = trim( (string) $value );
	return '' === $value ? (string) get_option( 'syndicate_secret', '' ) : $value;
}

function syndicate_clean_post_types( $value ) {
	$public = get_post_types( array( 'public' => true ) );
	$chosen = array_values( array_intersect( (array) $value, $public ) );
	return $chosen ? $chosen : array( 'post' );
}

function syndicate_settings_page() {
	if ( ! current_user_can( 'manage_options' ) ) {
		return;
	}
	$result = get_transient( 'syndicate_test_result' );
	delete_transient( 'syndicate_test_result' );
	?>
	<div class="wrap">
	<h1>Syndicate</h1>
	<?php if ( $result ) : ?>
		<div class="notice notice-<?php echo esc_attr( $result['ok'] ? 'success' : 'error' ); ?>"><p id="syndicate-test-result"><?php echo esc_html( $result['message'] ); ?></p></div>
	<?php endif; ?>
	<form method="post" action="options.php">
		<?php settings_fields( 'syndicate' ); ?>
		<table class="form-table" role="presentation">
		<tr><th scope="row"><label for="syndicate_url">Syndicate's address</label></th>
			<td><input type="url" id="syndicate_url" name="syndicate_url" class="regular-text" value="<?php echo esc_attr( get_option( 'syndicate_url', '' ) ); ?>" placeholder="https://syndicate.example.com"<?php disabled( defined( 'SYNDICATE_URL' ) ); ?>></td></tr>
		<tr><th scope="row"><label for="syndicate_secret">Webhook secret</label></th>
			<td><input type="password" id="syndicate_secret" name="syndicate_secret" class="regular-text" autocomplete="new-password" value="" placeholder="<?php echo esc_attr( syndicate_secret() ? 'set: leave empty to keep it' : 'one of SYNDICATE_WEBHOOK_SECRETS' ); ?>"<?php disabled( defined( 'SYNDICATE_SECRET' ) ); ?>></td></tr>
		<tr><th scope="row">Post types sent</th><td>
		<?php foreach ( get_post_types( array( 'public' => true ), 'objects' ) as $type ) : ?>
			<?php if ( 'attachment' === $type->name ) { continue; } ?>
			<label><input type="checkbox" name="syndicate_post_types[]" value="<?php echo esc_attr( $type->name ); ?>"<?php checked( in_array( $type->name, syndicate_post_types(), true ) ); ?>> <?php echo esc_html( $type->label ); ?></label><br>
		<?php endforeach; ?>
		</td></tr>
		</table>
		<?php submit_button(); ?>
	</form>
	<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
		<input type="hidden" name="action" value="syndicate_test">
		<?php wp_nonce_field( 'syndicate_test' ); ?>
		<?php submit_button( 'Test the connection', 'secondary', 'submit', false ); ?>
	</form>
	<p><?php echo esc_html( sprintf( '%d notification(s) waiting for Syndicate.', count( syndicate_waiting() ) ) ); ?></p>
	</div>
	<?php
}

/** A signed ping: Syndicate answers 200 only if the address is right and the secret is one it takes. */
function syndicate_test_connection() {
	if ( ! current_user_can( 'manage_options' ) ) {
		wp_die( 'Not allowed.', 403 );
	}
	check_admin_referer( 'syndicate_test' );
	$answer = syndicate_post_signed( syndicate_hook_url(), wp_json_encode( array( 'syndicate_ping' => true ) ) );
	if ( is_wp_error( $answer ) ) {
		$result = array( 'ok' => false, 'message' => 'Syndicate could not be reached: ' . $answer->get_error_message() );
	} else {
		$code   = (int) wp_remote_retrieve_response_code( $answer );
		$result = array(
			'ok'      => 200 === $code,
			'message' => 200 === $code ? 'Connected: Syndicate accepts this site\'s signature.'
				: ( 401 === $code ? 'Syndicate refused the signature: check the secret.'
				: 'Syndicate answered HTTP ' . $code . '.' ),
		);
	}
	set_transient( 'syndicate_test_result', $result, MINUTE_IN_SECONDS );
	wp_safe_redirect( admin_url( 'options-general.php?page=syndicate' ) );
	exit;
}
