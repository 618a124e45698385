<?php
/**
 * Syndicate's card tags in the theme's <head> and its share buttons after the content, from
 * /cards/<id>/meta and /share/<id>/buttons. A page never waits for Syndicate: it prints what
 * is stored with the post, and a stale or missing copy is fetched again by WP-Cron.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'SYNDICATE_FRAGMENT_SECONDS', 5 * MINUTE_IN_SECONDS );

add_action( 'wp_head', 'syndicate_print_card_meta', 1 );
add_filter( 'the_content', 'syndicate_append_share_buttons', 20 );
add_action( 'syndicate_refresh_fragments', 'syndicate_refresh_fragments' );

/** Only what a card is made of: <meta property|name content>. */
function syndicate_meta_only( $html ) {
	return wp_kses(
		$html,
		array(
			'meta' => array(
				'property' => true,
				'name'     => true,
				'content'  => true,
			),
		)
	);
}

function syndicate_print_card_meta() {
	if ( ! is_singular( syndicate_post_types() ) ) {
		return;
	}
	$meta = syndicate_fragment( get_queried_object_id(), 'meta' );
	if ( '' !== $meta ) {
		echo syndicate_meta_only( $meta ) . "\n"; // phpcs:ignore WordPress.Security.EscapeOutput
	}
}

function syndicate_append_share_buttons( $content ) {
	if ( ! is_singular( syndicate_post_types() ) || ! in_the_loop() || ! is_main_query() ) {
		return $content;
	}
	// The snippet comes from the Syndicate this site is configured with, which it trusts.
	return $content . syndicate_fragment( get_the_ID(), 'buttons' );
}

/** The stored copy (possibly stale, possibly empty), and a refresh scheduled when it is due. */
function syndicate_fragment( $post_id, $kind ) {
	$stored = get_post_meta( $post_id, '_syndicate_' . $kind, true );
	$fresh  = is_array( $stored ) && time() < (int) $stored['fresh_until'];
	if ( ! $fresh && '' !== syndicate_base_url() && ! wp_next_scheduled( 'syndicate_refresh_fragments', array( $post_id ) ) ) {
		wp_schedule_single_event( time(), 'syndicate_refresh_fragments', array( $post_id ) );
	}
	return is_array( $stored ) ? (string) $stored['html'] : '';
}

function syndicate_refresh_fragments( $post_id ) {
	$base  = syndicate_base_url();
	$paths = array(
		'meta'    => '/cards/' . rawurlencode( (string) $post_id ) . '/meta',
		'buttons' => '/share/' . rawurlencode( (string) $post_id ) . '/buttons',
	);
	foreach ( $paths as $kind => $path ) {
		$key    = '_syndicate_' . $kind;
		$stored = get_post_meta( $post_id, $key, true );
		$html   = is_array( $stored ) ? (string) $stored['html'] : '';
		$answer = wp_remote_get( $base . $path, array( 'timeout' => 5 ) );
		$code   = is_wp_error( $answer ) ? 0 : (int) wp_remote_retrieve_response_code( $answer );
		if ( 200 === $code ) {
			$html = wp_remote_retrieve_body( $answer );
			$next = SYNDICATE_FRAGMENT_SECONDS;
		} elseif ( 404 === $code || 410 === $code ) {
			$html = ''; // not built yet, or the article is gone
			$next = MINUTE_IN_SECONDS;
		} else {
			$next = MINUTE_IN_SECONDS; // Syndicate is down: keep what we had, try again soon
		}
		update_post_meta(
			$post_id,
			$key,
			array(
				'html'        => $html,
				'fresh_until' => time() + $next,
			)
		);
	}
}
